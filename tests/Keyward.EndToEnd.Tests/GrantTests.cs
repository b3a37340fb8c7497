using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Grants through the AWS SDK for .NET: a grantee the key policy does not name uses a key through a
/// grant (and its token), within the grant's operations and encryption context constraints; grants
/// are listed, retired (by token, by retiring principal, by grantee) and revoked, and stop working
/// at once; a grant never overrides an explicit deny.
/// </summary>
public sealed class GrantTests : IAsyncLifetime
{
    private readonly ServerFixture _server;
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-grants").FullName;

    public GrantTests() => _server = new ServerFixture { IdentitiesFile = TestIdentities.Write(_dir) };

    public Task InitializeAsync() => _server.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private AmazonKeyManagementServiceClient As(string who) => TestIdentities.Client(_server, who);

    private static MemoryStream Bytes(string s) => new(Encoding.UTF8.GetBytes(s));

    private static async Task<string> ErrorOf(Func<Task> call)
    {
        try { await call(); return "success"; }
        catch (AmazonKeyManagementServiceException e) { return e.ErrorCode; }
    }

    [Fact]
    public async Task A_grant_lets_its_grantee_use_the_key_until_it_is_retired()
    {
        using var root = As("root");
        using var app = As("app");
        var key = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        Assert.Equal("AccessDeniedException", await ErrorOf(() => app.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("x") })));

        var grant = await root.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = key, GranteePrincipal = TestIdentities.Arn("app"), RetiringPrincipal = TestIdentities.Arn("ops"),
            Operations = [GrantOperation.Encrypt, GrantOperation.Decrypt, GrantOperation.DescribeKey], Name = "app-uses-key",
        });
        Assert.Matches("^[0-9a-f]{64}$", grant.GrantId);
        // Usable at once, with the token (as AWS advises for eventual consistency) and without.
        var blob = (await app.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("granted"), GrantTokens = [grant.GrantToken] })).CiphertextBlob;
        Assert.Equal("granted", Encoding.UTF8.GetString((await app.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext.ToArray()));
        Assert.Equal(key, (await app.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.KeyId);
        // Only its operations.
        Assert.Equal("AccessDeniedException", await ErrorOf(() => app.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key, KeySpec = DataKeySpec.AES_256 })));
        Assert.Equal("AccessDeniedException", await ErrorOf(() => app.DisableKeyAsync(new DisableKeyRequest { KeyId = key })));
        Assert.Equal("InvalidGrantTokenException", await ErrorOf(() => app.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("x"), GrantTokens = ["not-a-token"] })));

        // Name makes CreateGrant idempotent.
        var again = await root.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = key, GranteePrincipal = TestIdentities.Arn("app"), RetiringPrincipal = TestIdentities.Arn("ops"),
            Operations = [GrantOperation.DescribeKey, GrantOperation.Decrypt, GrantOperation.Encrypt], Name = "app-uses-key",
        });
        Assert.Equal(grant.GrantId, again.GrantId);

        var listed = Assert.Single((await root.ListGrantsAsync(new ListGrantsRequest { KeyId = key })).Grants);
        Assert.Equal((grant.GrantId, "app-uses-key", TestIdentities.Arn("app"), TestIdentities.Arn("ops"), $"arn:aws:iam::{TestIdentities.Account}:root"),
            (listed.GrantId, listed.Name, listed.GranteePrincipal, listed.RetiringPrincipal, listed.IssuingAccount));
        Assert.Equal(["Decrypt", "DescribeKey", "Encrypt"], listed.Operations.Select(o => o.ToString()).Order());
        Assert.Equal(grant.GrantId, Assert.Single((await root.ListRetirableGrantsAsync(new ListRetirableGrantsRequest { RetiringPrincipal = TestIdentities.Arn("ops") })).Grants).GrantId);

        // The grantee cannot retire it (no RetireGrant operation); the retiring principal can, by token.
        Assert.Equal("AccessDeniedException", await ErrorOf(() => app.RetireGrantAsync(new RetireGrantRequest { KeyId = key, GrantId = grant.GrantId })));
        using var ops = As("ops");
        await ops.RetireGrantAsync(new RetireGrantRequest { GrantToken = grant.GrantToken });
        Assert.Equal("AccessDeniedException", await ErrorOf(() => app.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("x") })));
        Assert.Empty((await root.ListGrantsAsync(new ListGrantsRequest { KeyId = key })).Grants);
        Assert.Equal("NotFoundException", await ErrorOf(() => ops.RetireGrantAsync(new RetireGrantRequest { GrantToken = grant.GrantToken })));
    }

    [Fact]
    public async Task A_grant_of_Decapsulate_allows_Decapsulate_and_nothing_else_of_an_ML_KEM_key()
    {
        using var root = As("root");
        using var app = As("app");
        var key = (await root.CreateKeyAsync(new CreateKeyRequest { KeySpec = "ML_KEM_768", KeyUsage = "ENCAPSULATE_DECAPSULATE" })).KeyMetadata.KeyId;
        var encapsulated = await root.EncapsulateAsync(new EncapsulateRequest { KeyId = key, EncapsulationAlgorithm = "ML_KEM" });
        Task Decapsulate() => app.DecapsulateAsync(new DecapsulateRequest
        {
            KeyId = key, EncapsulationAlgorithm = "ML_KEM", SharedSecretCiphertextBlob = new MemoryStream(encapsulated.SharedSecretCiphertextBlob.ToArray()),
        });
        Assert.Equal("AccessDeniedException", await ErrorOf(Decapsulate));
        await root.CreateGrantAsync(new CreateGrantRequest { KeyId = key, GranteePrincipal = TestIdentities.Arn("app"), Operations = [GrantOperation.Decapsulate] });
        Assert.Equal("success", await ErrorOf(Decapsulate));
        Assert.Equal("AccessDeniedException", await ErrorOf(() => app.EncapsulateAsync(new EncapsulateRequest { KeyId = key, EncapsulationAlgorithm = "ML_KEM" })));
    }

    [Fact]
    public async Task Constraints_limit_a_grant_to_its_encryption_context()
    {
        using var root = As("root");
        using var app = As("app");
        var key = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        await root.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = key, GranteePrincipal = TestIdentities.Arn("app"), Operations = [GrantOperation.Encrypt],
            Constraints = new GrantConstraints { EncryptionContextSubset = new Dictionary<string, string> { ["tenant"] = "acme" } },
        });
        await root.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = key, GranteePrincipal = TestIdentities.Arn("app"), Operations = [GrantOperation.Decrypt],
            Constraints = new GrantConstraints { EncryptionContextEquals = new Dictionary<string, string> { ["tenant"] = "acme", ["purpose"] = "orders" } },
        });
        Task Encrypt(Dictionary<string, string>? ec) => app.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("x"), EncryptionContext = ec });
        Assert.Equal("success", await ErrorOf(() => Encrypt(new() { ["tenant"] = "acme" })));
        Assert.Equal("success", await ErrorOf(() => Encrypt(new() { ["tenant"] = "acme", ["extra"] = "1" })));
        // Keys are case-insensitive in grant constraints, values are not (AWS).
        Assert.Equal("success", await ErrorOf(() => Encrypt(new() { ["TENANT"] = "acme" })));
        Assert.Equal("AccessDeniedException", await ErrorOf(() => Encrypt(new() { ["tenant"] = "ACME" })));
        Assert.Equal("AccessDeniedException", await ErrorOf(() => Encrypt(null)));

        var exact = new Dictionary<string, string> { ["tenant"] = "acme", ["purpose"] = "orders" };
        var blob = (await root.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("x"), EncryptionContext = exact })).CiphertextBlob.ToArray();
        var wider = new Dictionary<string, string> { ["tenant"] = "acme", ["purpose"] = "orders", ["more"] = "1" };
        var wideBlob = (await root.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("x"), EncryptionContext = wider })).CiphertextBlob.ToArray();
        Assert.Equal("success", await ErrorOf(() => app.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob), EncryptionContext = exact })));
        Assert.Equal("AccessDeniedException", await ErrorOf(() => app.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(wideBlob), EncryptionContext = wider })));
    }

    [Fact]
    public async Task A_constraint_is_bounded_as_AWS_bounds_it()
    {
        using var root = As("root");
        var key = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        Task Grant(Dictionary<string, string> subset) => root.CreateGrantAsync(new CreateGrantRequest
            { KeyId = key, GranteePrincipal = TestIdentities.Arn("app"), Operations = [GrantOperation.Encrypt],
              Constraints = new GrantConstraints { EncryptionContextSubset = subset } });
        var eight = Enumerable.Range(0, 8).ToDictionary(i => $"k{i}", _ => new string('v', 384));
        Assert.Equal("success", await ErrorOf(() => Grant(eight)));
        Assert.Equal("ValidationException", await ErrorOf(() => Grant(Enumerable.Range(0, 9).ToDictionary(i => $"k{i}", _ => "v"))));
        Assert.Equal("ValidationException", await ErrorOf(() => Grant(new() { ["k"] = new string('v', 385) })));
        Assert.Equal("ValidationException", await ErrorOf(() => Grant(new() { ["k"] = new string('v', 900_000) })));
    }

    [Fact]
    public async Task Lists_are_filtered_and_paged_by_the_database_within_the_Limit_ranges_of_the_API()
    {
        using var root = As("root");
        var key = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var app = TestIdentities.Arn("app");
        var expected = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            // Grants to app between grants to others, each retirable by root: a filter applied after a page was cut
            // would lose some of app's.
            var grantee = i % 3 == 0 ? app : TestIdentities.Arn("ops");
            var id = (await root.CreateGrantAsync(new CreateGrantRequest
                { KeyId = key, GranteePrincipal = grantee, RetiringPrincipal = TestIdentities.Arn("reader"), Operations = [GrantOperation.Encrypt] })).GrantId;
            if (grantee == app) expected.Add(id);
        }
        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await root.ListGrantsAsync(new ListGrantsRequest { KeyId = key, GranteePrincipal = app, Limit = 1, Marker = marker });
            Assert.True(page.Grants.Count <= 1);
            seen.AddRange(page.Grants.Select(g => g.GrantId));
            marker = page.Truncated == true ? page.NextMarker : null;
        } while (marker is not null);
        Assert.Equal(expected.Order(StringComparer.Ordinal), seen);
        var one = await root.ListGrantsAsync(new ListGrantsRequest { KeyId = key, GrantId = expected[1] });
        Assert.Equal([expected[1]], one.Grants.Select(g => g.GrantId));
        Assert.Equal(12, (await root.ListGrantsAsync(new ListGrantsRequest { KeyId = key, Limit = 100 })).Grants.Count);
        Assert.Equal(12, (await root.ListRetirableGrantsAsync(new ListRetirableGrantsRequest
            { RetiringPrincipal = TestIdentities.Arn("reader"), Limit = 100 })).Grants.Count);
        // AWS documents Limit 1..100 for both grant lists and for ListAliases (the model's 1..1000 is for the others).
        Assert.Equal("ValidationException", await ErrorOf(() => root.ListGrantsAsync(new ListGrantsRequest { KeyId = key, Limit = 101 })));
        Assert.Equal("ValidationException", await ErrorOf(() => root.ListRetirableGrantsAsync(new ListRetirableGrantsRequest
            { RetiringPrincipal = TestIdentities.Arn("reader"), Limit = 1000 })));
        Assert.Equal("ValidationException", await ErrorOf(() => root.ListAliasesAsync(new ListAliasesRequest { Limit = 101 })));
        Assert.Equal("success", await ErrorOf(() => root.ListKeysAsync(new ListKeysRequest { Limit = 1000 })));
    }

    [Fact]
    public async Task A_key_holds_at_most_50000_grants()
    {
        using var root = As("root");
        var key = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var full = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        // 49,999 grants written straight into the database (50,000 CreateGrant calls would take minutes), then the API.
        var sql = $"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 49999)
            INSERT INTO grants (grant_id, key_id, name, grantee_principal, retiring_principal, issuing_account, operations, creation_date)
            SELECT printf('%064x', i), '{full}', '', 'arn:aws:iam::{TestIdentities.Account}:user/g' || i, NULL, 'arn:aws:iam::{TestIdentities.Account}:root', 'Encrypt', 0 FROM n;
            """;
        var (code, _, stderr) = await ExternalProcess.RunAsync("python3",
            ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=60); c.executescript(sys.argv[2]); c.commit(); c.close()",
             Path.Combine(_server.DataDir, "keyward.db"), sql]);
        Assert.True(code == 0, stderr);
        Task Grant(string k) => root.CreateGrantAsync(new CreateGrantRequest
            { KeyId = k, GranteePrincipal = TestIdentities.Arn("app"), Operations = [GrantOperation.Encrypt] });
        Assert.Equal("success", await ErrorOf(() => Grant(full))); // the 50,000th
        Assert.Equal("LimitExceededException", await ErrorOf(() => Grant(full)));
        Assert.Equal("success", await ErrorOf(() => Grant(key))); // per key
        // The grantee's grant among 50,000 works, and a page of them is a page.
        using var app = As("app");
        await app.EncryptAsync(new EncryptRequest { KeyId = full, Plaintext = Bytes("x") });
        var page = await root.ListGrantsAsync(new ListGrantsRequest { KeyId = full });
        Assert.Equal(50, page.Grants.Count);
        Assert.True(page.Truncated);
    }

    [Fact]
    public async Task Revoking_retiring_by_grantee_cross_account_grants_and_explicit_denies()
    {
        using var root = As("root");
        var key = (await root.CreateKeyAsync(new CreateKeyRequest
        {
            Policy = $$"""
                { "Version": "2012-10-17", "Statement": [
                  { "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::{{TestIdentities.Account}}:root" }, "Action": "kms:*", "Resource": "*" },
                  { "Effect": "Deny", "Principal": { "AWS": "{{TestIdentities.Arn("auditor")}}" }, "Action": "kms:Decrypt", "Resource": "*" } ] }
                """,
        })).KeyMetadata;

        // Across accounts: bob uses the key by ARN through a grant, without any key policy statement naming him.
        using var bob = As("bob");
        var forBob = await root.CreateGrantAsync(new CreateGrantRequest
            { KeyId = key.KeyId, GranteePrincipal = TestIdentities.Arn("bob"), Operations = [GrantOperation.GenerateDataKey, GrantOperation.RetireGrant] });
        Assert.Equal("success", await ErrorOf(() => bob.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.Arn, KeySpec = DataKeySpec.AES_256 })));
        // The grantee retires its own grant when the grant includes RetireGrant.
        await bob.RetireGrantAsync(new RetireGrantRequest { KeyId = key.Arn, GrantId = forBob.GrantId });
        Assert.Equal("AccessDeniedException", await ErrorOf(() => bob.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.Arn, KeySpec = DataKeySpec.AES_256 })));

        // A grant does not override an explicit deny.
        using var auditor = As("auditor");
        await root.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = TestIdentities.Arn("auditor"), Operations = [GrantOperation.Decrypt, GrantOperation.Encrypt] });
        var blob = (await auditor.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = Bytes("x") })).CiphertextBlob;
        Assert.Equal("AccessDeniedException", await ErrorOf(() => auditor.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })));

        // Revoke: by those the policies allow (not by the grantee), and it takes effect at once.
        using var app = As("app");
        var forApp = await root.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = TestIdentities.Arn("app"), Operations = [GrantOperation.Encrypt, GrantOperation.CreateGrant] });
        Assert.Equal("success", await ErrorOf(() => app.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = Bytes("x") })));
        // A grantee with CreateGrant may pass on its own operations only.
        Assert.Equal("success", await ErrorOf(() => app.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = TestIdentities.Arn("ops"), Operations = [GrantOperation.Encrypt] })));
        Assert.Equal("AccessDeniedException", await ErrorOf(() => app.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = TestIdentities.Arn("ops"), Operations = [GrantOperation.Decrypt] })));
        Assert.Equal("AccessDeniedException", await ErrorOf(() => app.RevokeGrantAsync(new RevokeGrantRequest { KeyId = key.KeyId, GrantId = forApp.GrantId })));
        await root.RevokeGrantAsync(new RevokeGrantRequest { KeyId = key.KeyId, GrantId = forApp.GrantId });
        Assert.Equal("AccessDeniedException", await ErrorOf(() => app.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = Bytes("x") })));
        Assert.Equal("NotFoundException", await ErrorOf(() => root.RevokeGrantAsync(new RevokeGrantRequest { KeyId = key.KeyId, GrantId = forApp.GrantId })));

        // Validation and dry runs.
        Assert.Equal("ValidationException", await ErrorOf(() => root.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = NotAPrincipal(), Operations = [GrantOperation.Encrypt] })));
        Assert.Equal("DryRunOperationException", await ErrorOf(() => root.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = TestIdentities.Arn("app"), Operations = [GrantOperation.Encrypt], DryRun = true })));
    }

    /// <summary>A principal the model's pattern refuses, built at run time so the SDK's analyzer lets the test send it.</summary>
    private static string NotAPrincipal() => string.Join(' ', "bad", "principal!");
}
