using System.Text;
using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// A data directory written by the last release before Regions (Fixtures/before-regions: `keyward serve --region
/// eu-central-1` at 3a29514, schema 10) opened by today's server with the same home Region: the database migrates, and
/// its keys, alias, tag, grant, ciphertext, signature and audit trail keep working, in that Region.
/// </summary>
public sealed class MigrationTests : IAsyncLifetime
{
    private const string Home = "eu-central-1";
    private readonly ServerFixture _server;
    private readonly JsonElement _facts;

    public MigrationTests()
    {
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "before-regions");
        var data = Directory.CreateTempSubdirectory("keyward-before-regions").FullName;
        foreach (var name in new[] { "keyward.db", "root.key", "audit.journal" })
        {
            var target = Path.Combine(data, name);
            File.Copy(Path.Combine(fixture, name), target);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        _facts = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture, "facts.json"))).RootElement.Clone();
        _server = new ServerFixture { DataDir = data, HomeRegion = Home, Regions = ["us-east-1"], LifecycleJob = false };
    }

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private string Fact(string name) => _facts.GetProperty(name).GetString()!;

    [Fact]
    public async Task Keys_made_before_regions_keep_working_in_the_region_they_were_made_in()
    {
        using var kms = _server.Client();
        var key = Fact("key");
        var arn = $"arn:aws:kms:{Home}:{ServerFixture.Account}:key/{key}";
        var described = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/old" })).KeyMetadata;
        Assert.Equal((key, arn, "made before Regions", false), (described.KeyId, described.Arn, described.Description, described.MultiRegion));
        Assert.Equal(KeyState.Enabled, described.KeyState);

        var opened = await kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(Convert.FromBase64String(Fact("blob"))),
            EncryptionContext = new Dictionary<string, string> { ["era"] = "old" },
        });
        Assert.Equal("written before Regions", Encoding.UTF8.GetString(opened.Plaintext.ToArray()));
        Assert.Equal(arn, opened.KeyId);
        Assert.True((await kms.VerifyAsync(new VerifyRequest
        {
            KeyId = Fact("ecc"), Message = new MemoryStream("signed before Regions"u8.ToArray()),
            Signature = new MemoryStream(Convert.FromBase64String(Fact("signature"))), SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256,
        })).SignatureValid);

        var alias = Assert.Single((await kms.ListAliasesAsync(new ListAliasesRequest())).Aliases, a => a.AliasName == "alias/old");
        Assert.Equal($"arn:aws:kms:{Home}:{ServerFixture.Account}:alias/old", alias.AliasArn);
        Assert.Equal("single-region", Assert.Single((await kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key })).Tags).TagValue);
        Assert.Equal(arn, Assert.Single((await kms.ListGrantsAsync(new ListGrantsRequest { KeyId = key })).Grants).KeyId);
        var listed = (await kms.ListKeysAsync(new ListKeysRequest())).Keys.Select(k => k.KeyId);
        Assert.Equal(new[] { key, Fact("ecc") }.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));

        // The old keys are of the home Region only; the database takes Multi-Region keys now.
        using var other = _server.Client(region: "us-east-1");
        await Assert.ThrowsAsync<NotFoundException>(() => other.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key }));
        Assert.Empty((await other.ListKeysAsync(new ListKeysRequest())).Keys);
        var mrk = (await kms.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata.KeyId;
        await kms.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = mrk, ReplicaRegion = "us-east-1" });
        var blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = "alias/old", Plaintext = new MemoryStream([9]) })).CiphertextBlob;
        Assert.Equal([9], (await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext.ToArray());
    }

    [Fact]
    public async Task The_audit_trail_from_before_regions_is_in_the_home_region()
    {
        // boto3's CloudTrail client: the CreateAlias made before Regions is in the home Region's trail, not another's.
        const string script = """
            import sys, boto3
            endpoint, region = sys.argv[1:3]
            trail = boto3.client("cloudtrail", endpoint_url=endpoint, region_name=region)
            events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateAlias"}])["Events"]
            print(len(events), " ".join(r["ResourceName"] for e in events for r in e.get("Resources", [])))
            """;
        var dir = Directory.CreateTempSubdirectory("keyward-before-regions-trail").FullName;
        try
        {
            var endpoint = _server.Url.ToString().TrimEnd('/');
            var home = await ExternalProcess.RunAsync("python3", ["-c", script, endpoint, Home], ExternalProcess.AwsEnvironment(dir), dir);
            Assert.True(home.Code == 0, home.Stderr);
            Assert.StartsWith("1 ", home.Stdout, StringComparison.Ordinal);
            Assert.Contains(Fact("key"), home.Stdout, StringComparison.Ordinal);
            var elsewhere = await ExternalProcess.RunAsync("python3", ["-c", script, endpoint, "us-east-1"], ExternalProcess.AwsEnvironment(dir), dir);
            Assert.True(elsewhere.Code == 0, elsewhere.Stderr);
            Assert.Equal("0", elsewhere.Stdout.Trim());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
