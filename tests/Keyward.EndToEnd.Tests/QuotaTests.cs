using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.Core.Service;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Protocol;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Request quotas per account (ThrottlingException as AWS answers it) and the bound on RSA key generation, against a
/// real server. No assertion depends on how fast the machine is: a quota of 1 per second is crossed by a burst of
/// calls however slow they are, and a check that two calls share one quota is repeated until a stall did not refill it.
/// </summary>
public sealed class QuotaTests : IAsyncLifetime
{
    private const string AwsThrottlingMessage = "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.";
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-quotas").FullName;
    private readonly ServerFixture _server;

    public QuotaTests() => _server = new ServerFixture
    {
        IdentitiesFile = TestIdentities.Write(_dir),
        RequestQuotas = new RequestQuotaOptions
        {
            Symmetric = 1, Rsa = 0,
            Operations = new Dictionary<KmsOperation, int>(RequestQuotaOptions.DefaultOperations) { [KmsOperation.CreateKey] = 1 },
        },
    };

    public Task InitializeAsync() => _server.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_burst_past_an_operations_quota_is_throttled_as_AWS_throttles_and_other_accounts_are_not()
    {
        using var raw = new RawClient(_server.Url);
        var replies = new List<RawClient.Reply>();
        for (var i = 0; i < 20; i++) replies.Add(await raw.SendAsync("CreateKey", "{}"));
        Assert.Contains(replies, r => r.Status == 200);
        var throttled = replies.Where(r => r.Status != 200).ToList();
        Assert.NotEmpty(throttled);
        Assert.All(throttled, r => Assert.Equal((400, "ThrottlingException", AwsThrottlingMessage), (r.Status, r.Type, r.Message)));

        // The other account has its own quota: while root's is spent, its CreateKey goes through.
        while ((await raw.SendAsync("CreateKey", "{}")).Status == 200) { }
        using var other = TestIdentities.Client(_server, "other-root");
        await other.CreateKeyAsync(new CreateKeyRequest());
        // The SDK sees the error as AWS's (its retries off, as the fixture's clients have them).
        using var root = _server.Client();
        while (true)
        {
            try { await root.CreateKeyAsync(new CreateKeyRequest()); }
            catch (AmazonKeyManagementServiceException e)
            {
                Assert.Equal("ThrottlingException", e.ErrorCode);
                Assert.Equal(AwsThrottlingMessage, e.Message);
                break;
            }
        }
    }

    [Fact]
    public async Task Symmetric_cryptographic_operations_share_one_quota_and_a_quota_of_0_is_off()
    {
        using var root = _server.Client();
        var key = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var rsa = await Eventually.Value(async () =>
        {
            try { return (await root.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.RSA_2048, KeyUsage = KeyUsageType.SIGN_VERIFY })).KeyMetadata.KeyId; }
            catch (AmazonKeyManagementServiceException e) when (e.ErrorCode == "ThrottlingException") { return null; }
        });
        using var raw = new RawClient(_server.Url);
        var blob = await Eventually.Value(async () =>
        {
            var r = await raw.SendAsync("Encrypt", $$"""{"KeyId":"{{key}}","Plaintext":"AQID"}""");
            return r.Status == 200 ? r.Body.GetProperty("CiphertextBlob").GetString() : null;
        });
        // Spend the quota with Encrypt; a Decrypt right after is throttled too (one quota). A stall of a second between
        // the two would refill it, so the pair is tried again until it shows.
        await Eventually.WaitFor(async () =>
        {
            while ((await raw.SendAsync("Encrypt", $$"""{"KeyId":"{{key}}","Plaintext":"AQID"}""")).Status == 200) { }
            return (await raw.SendAsync("Decrypt", $$"""{"CiphertextBlob":"{{blob}}"}""")).Type == "ThrottlingException";
        });
        // The RSA quota is 0: off, so a burst of Sign calls with the RSA key all succeed.
        for (var i = 0; i < 20; i++)
        {
            var sign = await raw.SendAsync("Sign", $$"""{"KeyId":"{{rsa}}","Message":"AQID","SigningAlgorithm":"RSASSA_PSS_SHA_256"}""");
            Assert.Equal(200, sign.Status);
        }
    }

    [Fact]
    public async Task RSA_key_pairs_are_generated_a_few_at_a_time()
    {
        // Six RSA keys at once through the API (quotas off for this burst: its own server).
        var server = new ServerFixture();
        await server.InitializeAsync();
        try
        {
            using var root = server.Client();
            var created = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
                root.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.RSA_2048, KeyUsage = KeyUsageType.SIGN_VERIFY })));
            Assert.Equal(6, created.Select(c => c.KeyMetadata.KeyId).Distinct().Count());
            var pairs = server.Host.KeyPairs;
            Assert.InRange(pairs.Peak, 1, pairs.Limit);
            Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), pairs.Limit);
        }
        finally { await server.DisposeAsync(); }
    }
}

/// <summary>The quota options: the documented defaults, and `serve --request-quotas` files.</summary>
public sealed class QuotaOptionTests
{
    [Fact]
    public void The_defaults_in_docs_operations_md_are_the_code_s()
    {
        var doc = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "operations.md"));
        var rows = doc.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\| `(\w+)` \| [^|]+ \| ([\d,]+) \|$"))
            .Where(m => m.Success).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value.Replace(",", "")));
        var defaults = new RequestQuotaOptions();
        var expected = defaults.Operations.ToDictionary(p => p.Key.ToString(), p => p.Value);
        expected["symmetric"] = defaults.Symmetric;
        expected["rsa"] = defaults.Rsa;
        expected["ecc"] = defaults.Ecc;
        Assert.Equal(expected.OrderBy(p => p.Key), rows.OrderBy(p => p.Key));
    }

    [Fact]
    public void A_quota_file_changes_what_it_names_and_keeps_the_other_defaults()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{ "symmetric": 20000, "ecc": 0, "operations": { "CreateKey": 5, "ListKeys": 0 } } """);
            var q = Keyward.Server.Hosting.RequestQuotaFile.Parse(file);
            Assert.Equal((20000, 1000, 0), (q.Symmetric, q.Rsa, q.Ecc));
            Assert.Equal(5, q.Operations[KmsOperation.CreateKey]);
            Assert.Equal(0, q.Operations[KmsOperation.ListKeys]);
            Assert.Equal(RequestQuotaOptions.DefaultOperations[KmsOperation.DescribeKey], q.Operations[KmsOperation.DescribeKey]);
            Assert.Same(RequestQuotaOptions.Off, Keyward.Server.Hosting.RequestQuotaFile.Parse("off"));
            foreach (var (text, why) in new[]
            {
                ("""{"operations":{"Encrypt":5}}""", "shared cryptographic quota"),
                ("""{"operations":{"Frobnicate":5}}""", "'Frobnicate' is not a KMS operation"),
                ("""{"symmetric":-1}""", "whole number"),
                ("""{"symmetric":1.5}""", "whole number"),
                ("""{"burst":10}""", "'burst' is not a quota"),
                ("""[1]""", "not a JSON object"),
                ("""{"symmetric":""", "not valid"),
            })
            {
                File.WriteAllText(file, text);
                var e = Assert.Throws<Keyward.Server.Hosting.ServerConfigurationException>(() => Keyward.Server.Hosting.RequestQuotaFile.Parse(file));
                Assert.Contains(why, e.Message);
            }
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task Serve_with_a_quota_file_that_is_not_valid_exits_with_one_line_and_writes_nothing()
    {
        var dir = Path.Combine(Path.GetTempPath(), "keyward-quota-cli-" + Guid.NewGuid().ToString("N"));
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{"operations":{"CreateKey":"fast"}}""");
            var (code, stdout, stderr) = await ExternalProcess.RunAsync("dotnet",
                [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "serve", "--data-dir", dir, "--request-quotas", file]);
            Assert.Equal(2, code);
            Assert.StartsWith($"keyward: the request quota file {file} is not valid: CreateKey must be a whole number", stderr);
            Assert.DoesNotContain("   at ", stdout + stderr);
            Assert.False(Directory.Exists(dir));
        }
        finally
        {
            File.Delete(file);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "README.md")) && Directory.Exists(Path.Combine(d.FullName, "docs"))) return d.FullName;
        throw new InvalidOperationException("no repository root above " + AppContext.BaseDirectory);
    }
}
