namespace Keyward.Pkcs11.Tests;

public sealed class ConfigurationTests
{
    private static HsmConfiguration Load(string json)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, json);
            return HsmConfiguration.Load(path);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Members_left_out_keep_their_defaults()
    {
        var config = Load("""
            // comments and trailing commas are fine
            { "clusters": [ { "id": "cluster-abcdefghijk", "module": "/lib/x.so", "hsms": [ { "token": "a" }, ], } ],
              "seal": { "module": "/lib/x.so", "token": "s" } }
            """);
        var cluster = Assert.Single(config.Clusters);
        Assert.Equal((16, 2000, 2000), (cluster.MaxSessionsPerHsm, cluster.SessionWaitMilliseconds, cluster.HealthCheckMilliseconds));
        Assert.Equal("cluster-abcdefghijk", cluster.History);
        Assert.Equal("keyward-root-key", config.Seal!.KeyLabel);
        Assert.Empty(Load("{}").Clusters);
    }

    [Theory]
    [InlineData("""{ "clusters": [ { "id": "my-cluster", "module": "/x.so", "hsms": [ { "token": "a" } ] } ] }""", "cluster-[2-7a-zA-Z]")]
    [InlineData("""{ "clusters": [ { "id": "cluster-abcdefghijk", "hsms": [ { "token": "a" } ] } ] }""", "no PKCS#11 module")]
    [InlineData("""{ "clusters": [ { "id": "cluster-abcdefghijk", "module": "/x.so", "hsms": [] } ] }""", "has no HSMs")]
    [InlineData("""{ "clustres": [] }""", "not valid")]
    [InlineData("""{ "clusters": [ { "id": "cluster-abcdefghijk", "module": "/x.so", "hsms": [ { "token": "a" } ] }, { "id": "cluster-abcdefghijk", "module": "/x.so", "hsms": [ { "token": "b" } ] } ] }""", "same id")]
    public void Mistakes_are_refused_with_a_reason(string json, string reason)
    {
        var e = Assert.Throws<Pkcs11ConfigurationException>(() => Load(json));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_module_that_is_not_there_is_a_configuration_error()
    {
        var e = Assert.Throws<Pkcs11ConfigurationException>(() => Pkcs11Module.Load("/nonexistent/libpkcs11.so"));
        Assert.Contains("cannot be loaded", e.Message, StringComparison.Ordinal);
    }
}
