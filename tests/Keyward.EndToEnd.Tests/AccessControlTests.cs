using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Key policies and identity policies enforced through a real server, with the AWS SDK for .NET
/// signing as different principals of two accounts (from an --identities file): direct grants in
/// the key policy, delegation to identity policies, explicit denies, NotPrincipal, wildcards,
/// each kind of condition, and cross-account use.
/// </summary>
public sealed class AccessControlTests : IAsyncLifetime
{
    private const string Account = ServerFixture.Account;
    private const string Other = TestIdentities.Other;
    private readonly ServerFixture _server;
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-identities").FullName;

    public AccessControlTests()
    {
        var file = TestIdentities.Write(_dir);
        _server = new ServerFixture { IdentitiesFile = file };
    }

    public Task InitializeAsync() => _server.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private AmazonKeyManagementServiceClient As(string who) => TestIdentities.Client(_server, who);

    private static string KeyPolicy(string extraStatements) => $$"""
        { "Version": "2012-10-17", "Statement": [
          { "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::{{Account}}:root" }, "Action": "kms:*", "Resource": "*" },
          { "Sid": "Only the root deletes", "Effect": "Deny", "NotPrincipal": { "AWS": "arn:aws:iam::{{Account}}:root" }, "Action": "kms:ScheduleKeyDeletion", "Resource": "*" },
          {{extraStatements}}
        ] }
        """;

    private static MemoryStream Bytes(string s) => new(Encoding.UTF8.GetBytes(s));

    [Fact]
    public async Task The_policy_table_decides_every_case_as_AWS_does()
    {
        using var root = As("root");
        var policy = KeyPolicy($$"""
            { "Sid": "App uses the key for billing only", "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::{{Account}}:user/app" },
              "Action": [ "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*" ], "Resource": "*",
              "Condition": { "StringEquals": { "kms:EncryptionContext:app": "billing" } } },
            { "Sid": "App may describe through the alias", "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::{{Account}}:user/app" },
              "Action": "kms:DescribeKey", "Resource": "*", "Condition": { "StringEquals": { "kms:RequestAlias": "alias/billing" } } },
            { "Sid": "App may list aliases when its keys carry one", "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::{{Account}}:user/app" },
              "Action": "kms:GetPublicKey", "Resource": "*", "Condition": { "ForAnyValue:StringLike": { "kms:ResourceAliases": "alias/bill*" } } },
            { "Sid": "The other account may decrypt", "Effect": "Allow", "Principal": { "AWS": "{{Other}}" },
              "Action": [ "kms:Decrypt", "kms:DescribeKey" ], "Resource": "*" }
            """);
        var key = (await root.CreateKeyAsync(new CreateKeyRequest { Policy = policy })).KeyMetadata;
        await root.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/billing", TargetKeyId = key.KeyId });
        var blob = (await root.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = Bytes("secret") })).CiphertextBlob.ToArray();
        var billingBlob = (await root.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId, Plaintext = Bytes("bill"), EncryptionContext = new Dictionary<string, string> { ["app"] = "billing" },
        })).CiphertextBlob.ToArray();
        var billing = new Dictionary<string, string> { ["app"] = "billing" };

        // (who, what, call, expected error code or null for success)
        var table = new List<(string Who, string What, Func<AmazonKeyManagementServiceClient, Task> Call, string? Error)>
        {
            ("app", "Encrypt with the required context", c => c.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = Bytes("x"), EncryptionContext = billing }), null),
            ("app", "Encrypt without a context", c => c.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = Bytes("x") }), "AccessDeniedException"),
            ("app", "Encrypt with another context value", c => c.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = Bytes("x"), EncryptionContext = new() { ["app"] = "hr" } }), "AccessDeniedException"),
            ("app", "Encrypt with the context key in another case", c => c.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = Bytes("x"), EncryptionContext = new() { ["App"] = "billing" } }), "AccessDeniedException"),
            ("app", "GenerateDataKeyWithoutPlaintext (wildcard action)", c => c.GenerateDataKeyWithoutPlaintextAsync(new GenerateDataKeyWithoutPlaintextRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256, EncryptionContext = billing }), null),
            ("app", "Decrypt its context's ciphertext", c => c.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(billingBlob), EncryptionContext = billing }), null),
            ("app", "Decrypt a ciphertext without context", c => c.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) }), "AccessDeniedException"),
            ("app", "DescribeKey by alias (kms:RequestAlias)", c => c.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/billing" }), null),
            ("app", "DescribeKey by key id", c => c.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId }), "AccessDeniedException"),
            ("app", "ReEncrypt needs ReEncryptFrom and ReEncryptTo", c => c.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = new MemoryStream(billingBlob), SourceEncryptionContext = billing, DestinationKeyId = key.KeyId, DestinationEncryptionContext = billing }), "AccessDeniedException"),
            ("app", "CreateKey (no identity policy)", c => c.CreateKeyAsync(new CreateKeyRequest()), "AccessDeniedException"),
            ("app", "ListKeys (no identity policy)", c => c.ListKeysAsync(new ListKeysRequest()), "AccessDeniedException"),
            ("admin", "DescribeKey (delegated to its identity policy)", c => c.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId }), null),
            ("admin", "Encrypt (an administrator does not use keys)", c => c.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = Bytes("x") }), "AccessDeniedException"),
            ("admin", "DisableKey", c => c.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId }), null),
            ("admin", "EnableKey", c => c.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId }), null),
            ("admin", "ScheduleKeyDeletion (NotPrincipal deny)", c => c.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 }), "AccessDeniedException"),
            ("admin", "CreateKey (identity kms:Create*)", c => c.CreateKeyAsync(new CreateKeyRequest { Description = "by admin" }), null),
            ("admin", "TagResource", c => c.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "owner", TagValue = "admin" }] }), null),
            ("auditor", "ListKeys", c => c.ListKeysAsync(new ListKeysRequest()), null),
            ("auditor", "DescribeKey", c => c.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId }), null),
            ("auditor", "GetKeyPolicy (explicit deny in identity)", c => c.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId }), "AccessDeniedException"),
            ("auditor", "DisableKey", c => c.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId }), "AccessDeniedException"),
            ("ops", "DescribeKey (Resource ARN pattern)", c => c.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId }), null),
            ("ops", "Encrypt from 127.0.0.1 (IpAddress 10.0.0.0/8)", c => c.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = Bytes("x") }), "AccessDeniedException"),
            ("bob", "Decrypt across accounts", c => c.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) }), null),
            ("bob", "Encrypt with the key ARN across accounts", c => c.EncryptAsync(new EncryptRequest { KeyId = key.Arn, Plaintext = Bytes("x") }), "AccessDeniedException"),
            ("bob", "DescribeKey across accounts (its identity policy does not allow it)", c => c.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.Arn }), "AccessDeniedException"),
            ("bob", "DescribeKey by bare key id (looked up in its own account)", c => c.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId }), "NotFoundException"),
            ("other-root", "DescribeKey across accounts as the other account's root", c => c.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.Arn }), null),
            ("other-root", "Decrypt across accounts as the other account's root", c => c.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) }), null),
            ("other-root", "DisableKey across accounts", c => c.DisableKeyAsync(new DisableKeyRequest { KeyId = key.Arn }), "AccessDeniedException"),
            ("root", "ScheduleKeyDeletion then cancel (the root is not denied)", async c =>
            {
                await c.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 });
                await c.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = key.KeyId });
                await c.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId });
            }, null),
        };

        var mismatches = new List<string>();
        foreach (var (who, what, call, error) in table)
        {
            using var client = As(who);
            string? actual = null;
            try { await call(client); }
            catch (AmazonKeyManagementServiceException e) { actual = e.ErrorCode; }
            if (actual != error) mismatches.Add($"{who}: {what}: expected {error ?? "success"}, got {actual ?? "success"}");
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [Fact]
    public async Task Keys_belong_to_the_account_that_created_them()
    {
        using var otherRoot = As("other-root");
        var theirs = (await otherRoot.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        Assert.Equal(Other, theirs.AWSAccountId);
        Assert.StartsWith($"arn:aws:kms:us-east-1:{Other}:key/", theirs.Arn);
        using var root = As("root");
        Assert.DoesNotContain((await root.ListKeysAsync(new ListKeysRequest { Limit = 1000 })).Keys, k => k.KeyId == theirs.KeyId);
        // Their key's default policy names only their account: ours is refused even with the full ARN.
        var e = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => root.DescribeKeyAsync(new DescribeKeyRequest { KeyId = theirs.Arn }));
        Assert.Equal("AccessDeniedException", e.ErrorCode);
        Assert.Equal($"User: arn:aws:iam::{Account}:root is not authorized to perform: kms:DescribeKey on resource: {theirs.Arn} because no resource-based policy allows the kms:DescribeKey action", e.Message);
    }

    [Fact]
    public async Task An_identities_file_readable_by_others_is_refused()
    {
        var file = Path.Combine(_dir, "open.json");
        await File.WriteAllTextAsync(file, """{ "accounts": [] }""");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var error = await Assert.ThrowsAsync<Keyward.Server.Hosting.ServerConfigurationException>(() => new ServerFixture { IdentitiesFile = file }.InitializeAsync());
        Assert.Contains("chmod 600", error.Message);
    }

    [Fact]
    public async Task The_identities_commands_check_a_file_and_make_access_keys()
    {
        var keyward = Path.Combine(AppContext.BaseDirectory, "keyward.dll");
        var file = Path.Combine(_dir, "identities.json");
        var check = await ExternalProcess.RunAsync("dotnet", [keyward, "identities", "check", file]);
        Assert.True(check.Code == 0, check.Stderr);
        Assert.Contains($"arn:aws:iam::{Account}:user/app\t0 identity policies\tAKIAAPPUSER000000001", check.Stdout);
        Assert.Contains($"arn:aws:iam::{Account}:user/auditor\t3 identity policies", check.Stdout);
        Assert.Contains("6 principals, 6 access keys", check.Stdout);
        Assert.DoesNotContain("secret", check.Stdout + check.Stderr);

        var broken = Path.Combine(_dir, "broken.json");
        await File.WriteAllTextAsync(broken, """{ "accounts": [ { "id": "1234", "users": [] } ] }""");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(broken, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var refused = await ExternalProcess.RunAsync("dotnet", [keyward, "identities", "check", broken]);
        Assert.Equal(1, refused.Code);
        Assert.Contains("must be 12 digits", refused.Stderr);

        var made = await ExternalProcess.RunAsync("dotnet", [keyward, "identities", "new-access-key"]);
        using var doc = System.Text.Json.JsonDocument.Parse(made.Stdout);
        Assert.Matches("^AKIA[A-Z2-7]{16}$", doc.RootElement.GetProperty("accessKeyId").GetString());
        Assert.Equal(40, doc.RootElement.GetProperty("secretAccessKey").GetString()!.Length);
    }
}
