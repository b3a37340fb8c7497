using System.Text.Json;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Every implemented operation against the error conditions that apply to it: a key that does
/// not exist, a key pending deletion, a disabled key, and a barrage of malformed inputs that must
/// never produce a 500.
/// </summary>
/// <remarks>A server of its own (not the shared collection's), so this slow class runs beside the others.</remarks>
public sealed class ErrorMatrixTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly RawClient _raw = new(server.Url);

    // Operation → request body with {key} for the key id. Aliases use a fresh name each time.
    private static readonly (string Operation, string Body)[] KeyOperations =
    [
        ("DescribeKey", "{\"KeyId\":\"{key}\"}"),
        ("EnableKey", "{\"KeyId\":\"{key}\"}"),
        ("DisableKey", "{\"KeyId\":\"{key}\"}"),
        ("UpdateKeyDescription", "{\"KeyId\":\"{key}\",\"Description\":\"x\"}"),
        ("ScheduleKeyDeletion", "{\"KeyId\":\"{key}\",\"PendingWindowInDays\":7}"),
        ("CancelKeyDeletion", "{\"KeyId\":\"{key}\"}"),
        ("Encrypt", "{\"KeyId\":\"{key}\",\"Plaintext\":\"AQ==\"}"),
        ("GenerateDataKey", "{\"KeyId\":\"{key}\",\"KeySpec\":\"AES_256\"}"),
        ("GenerateDataKeyWithoutPlaintext", "{\"KeyId\":\"{key}\",\"NumberOfBytes\":16}"),
        ("ReEncrypt", "{\"CiphertextBlob\":\"{blob}\",\"DestinationKeyId\":\"{key}\"}"),
        ("CreateAlias", "{\"AliasName\":\"{alias}\",\"TargetKeyId\":\"{key}\"}"),
        ("ListAliases", "{\"KeyId\":\"{key}\"}"),
        ("TagResource", "{\"KeyId\":\"{key}\",\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"b\"}]}"),
        ("UntagResource", "{\"KeyId\":\"{key}\",\"TagKeys\":[\"a\"]}"),
        ("ListResourceTags", "{\"KeyId\":\"{key}\"}"),
        ("GetKeyPolicy", "{\"KeyId\":\"{key}\"}"),
        ("PutKeyPolicy", "{\"KeyId\":\"{key}\",\"Policy\":\"{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":\\\"*\\\",\\\"Action\\\":\\\"kms:*\\\",\\\"Resource\\\":\\\"*\\\"}]}\"}"),
        ("ListKeyPolicies", "{\"KeyId\":\"{key}\"}"),
        ("Sign", "{\"KeyId\":\"{key}\",\"Message\":\"AQ==\",\"SigningAlgorithm\":\"ECDSA_SHA_256\"}"),
        ("Verify", "{\"KeyId\":\"{key}\",\"Message\":\"AQ==\",\"SigningAlgorithm\":\"ECDSA_SHA_256\",\"Signature\":\"AQ==\"}"),
        ("GetPublicKey", "{\"KeyId\":\"{key}\"}"),
        ("GenerateMac", "{\"KeyId\":\"{key}\",\"Message\":\"AQ==\",\"MacAlgorithm\":\"HMAC_SHA_256\"}"),
        ("VerifyMac", "{\"KeyId\":\"{key}\",\"Message\":\"AQ==\",\"MacAlgorithm\":\"HMAC_SHA_256\",\"Mac\":\"AQ==\"}"),
        ("GenerateDataKeyPair", "{\"KeyId\":\"{key}\",\"KeyPairSpec\":\"ECC_NIST_P256\"}"),
        ("GenerateDataKeyPairWithoutPlaintext", "{\"KeyId\":\"{key}\",\"KeyPairSpec\":\"ECC_NIST_P256\"}"),
        ("DeriveSharedSecret", "{\"KeyId\":\"{key}\",\"KeyAgreementAlgorithm\":\"ECDH\",\"PublicKey\":\"AQ==\"}"),
        ("EnableKeyRotation", "{\"KeyId\":\"{key}\",\"RotationPeriodInDays\":90}"),
        ("DisableKeyRotation", "{\"KeyId\":\"{key}\"}"),
        ("GetKeyRotationStatus", "{\"KeyId\":\"{key}\"}"),
        ("RotateKeyOnDemand", "{\"KeyId\":\"{key}\"}"),
        ("ListKeyRotations", "{\"KeyId\":\"{key}\",\"IncludeKeyMaterial\":\"ALL_KEY_MATERIAL\"}"),
        ("CreateGrant", "{\"KeyId\":\"{key}\",\"GranteePrincipal\":\"arn:aws:iam::111122223333:user/x\",\"Operations\":[\"Encrypt\"],\"Constraints\":{\"EncryptionContextSubset\":{\"a\":\"b\"}}}"),
        ("ListGrants", "{\"KeyId\":\"{key}\"}"),
        ("GetKeyLastUsage", "{\"KeyId\":\"{key}\"}"),
    ];

    // What AWS answers for a key in PendingDeletion, per operation (null = the call succeeds).
    private static readonly Dictionary<string, string?> PendingDeletion = new()
    {
        ["DescribeKey"] = null, ["EnableKey"] = "KMSInvalidStateException", ["DisableKey"] = "KMSInvalidStateException",
        ["UpdateKeyDescription"] = "KMSInvalidStateException", ["ScheduleKeyDeletion"] = "KMSInvalidStateException",
        ["CancelKeyDeletion"] = null, ["Encrypt"] = "KMSInvalidStateException", ["GenerateDataKey"] = "KMSInvalidStateException",
        ["GenerateDataKeyWithoutPlaintext"] = "KMSInvalidStateException", ["ReEncrypt"] = "KMSInvalidStateException",
        ["CreateAlias"] = "KMSInvalidStateException", ["ListAliases"] = null, ["TagResource"] = "KMSInvalidStateException",
        ["UntagResource"] = "KMSInvalidStateException", ["ListResourceTags"] = null, ["GetKeyPolicy"] = null,
        ["PutKeyPolicy"] = "KMSInvalidStateException", ["ListKeyPolicies"] = null,
        ["Sign"] = "KMSInvalidStateException", ["Verify"] = "KMSInvalidStateException", ["GetPublicKey"] = "KMSInvalidStateException",
        ["GenerateMac"] = "KMSInvalidStateException", ["VerifyMac"] = "KMSInvalidStateException",
        ["GenerateDataKeyPair"] = "KMSInvalidStateException", ["GenerateDataKeyPairWithoutPlaintext"] = "KMSInvalidStateException",
        ["DeriveSharedSecret"] = "KMSInvalidStateException",
        ["EnableKeyRotation"] = "KMSInvalidStateException", ["DisableKeyRotation"] = "KMSInvalidStateException",
        ["GetKeyRotationStatus"] = null, ["RotateKeyOnDemand"] = "KMSInvalidStateException", ["ListKeyRotations"] = null,
        ["CreateGrant"] = "KMSInvalidStateException", ["ListGrants"] = null, ["GetKeyLastUsage"] = null,
    };

    private static readonly HashSet<string> RefusedWhenDisabled =
    [
        "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt", "Sign", "Verify", "GetPublicKey",
        "GenerateMac", "VerifyMac", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "DeriveSharedSecret",
        // Not cryptographic, but AWS refuses them for a disabled key too.
        "EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand",
    ];

    private async Task<string> BlobAsync()
    {
        var key = await NewKeyAsync();
        return (await _raw.SendAsync("Encrypt", $"{{\"KeyId\":\"{key}\",\"Plaintext\":\"AQ==\"}}")).Body.GetProperty("CiphertextBlob").GetString()!;
    }

    private async Task<string> NewKeyAsync() =>
        (await _raw.SendAsync("CreateKey", "{}")).Body.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;

    private static string Fill(string body, string key, string blob) =>
        body.Replace("{key}", key).Replace("{blob}", blob).Replace("{alias}", "alias/m-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Every_key_operation_answers_NotFound_for_a_missing_key()
    {
        var blob = await BlobAsync();
        var missing = Guid.NewGuid().ToString();
        foreach (var (op, body) in KeyOperations)
        {
            var reply = await _raw.SendAsync(op, Fill(body, missing, blob));
            Assert.True(reply.Type == "NotFoundException", $"{op}: {reply.Status} {reply.Raw}");
            Assert.Equal($"Key 'arn:aws:kms:us-east-1:111122223333:key/{missing}' does not exist", reply.Message);
        }
    }

    [Fact]
    public async Task Every_key_operation_follows_the_pending_deletion_rules()
    {
        var blob = await BlobAsync();
        foreach (var (op, body) in KeyOperations)
        {
            var key = await NewKeyAsync();
            Assert.Equal(200, (await _raw.SendAsync("ScheduleKeyDeletion", $"{{\"KeyId\":\"{key}\"}}")).Status);
            var reply = await _raw.SendAsync(op, Fill(body, key, blob));
            var expected = PendingDeletion[op];
            if (expected is null) Assert.True(reply.Status == 200, $"{op}: {reply.Raw}");
            else
            {
                Assert.True(reply.Type == expected, $"{op}: {reply.Status} {reply.Raw}");
                Assert.EndsWith("is pending deletion.", reply.Message);
            }
        }
    }

    [Fact]
    public async Task Cryptographic_operations_refuse_a_disabled_key_and_others_do_not()
    {
        var blob = await BlobAsync();
        foreach (var (op, body) in KeyOperations.Where(o => o.Operation is not ("EnableKey" or "ScheduleKeyDeletion" or "CancelKeyDeletion")))
        {
            var key = await NewKeyAsync();
            Assert.Equal(200, (await _raw.SendAsync("DisableKey", $"{{\"KeyId\":\"{key}\"}}")).Status);
            var reply = await _raw.SendAsync(op, Fill(body, key, blob));
            if (RefusedWhenDisabled.Contains(op))
            {
                Assert.True(reply.Type == "DisabledException", $"{op}: {reply.Status} {reply.Raw}");
                Assert.Equal($"arn:aws:kms:us-east-1:111122223333:key/{key} is disabled.", reply.Message);
            }
            else Assert.True(reply.Status == 200, $"{op}: {reply.Raw}");
        }
    }

    [Fact]
    public async Task Malformed_members_never_cause_a_server_error()
    {
        var key = await NewKeyAsync();
        var blob = await BlobAsync();
        string[] hostile =
        [
            "null", "true", "-1", "0", "2147483648", "1e400", "1.5", "\"\"", "\"\\u0000\"", "\"" + new string('x', 70000) + "\"",
            "[]", "[null]", "{}", "{\"a\":{\"b\":[1,2,{}]}}", "\"=\"", "\"AQ\"", "\"\\ud800\"",
        ];
        string[] operations =
        [
            .. KeyOperations.Select(o => o.Operation), "CreateKey", "ListKeys", "Decrypt", "GenerateRandom", "UpdateAlias", "DeleteAlias",
        ];
        foreach (var op in operations.Distinct())
        {
            var template = KeyOperations.FirstOrDefault(o => o.Operation == op).Body ?? "{\"KeyId\":\"{key}\"}";
            using var doc = JsonDocument.Parse(Fill(template, key, blob));
            var members = doc.RootElement.EnumerateObject().Select(p => p.Name)
                .Concat(["Plaintext", "CiphertextBlob", "EncryptionContext", "GrantTokens", "Limit", "Marker", "NumberOfBytes", "Tags", "AliasName", "DryRun", "Recipient"])
                .Distinct();
            foreach (var member in members)
            {
                foreach (var value in hostile)
                {
                    // Built as text: some hostile values (a lone surrogate) cannot pass through a serializer.
                    var parts = doc.RootElement.EnumerateObject().Where(p => p.Name != member)
                        .Select(p => $"\"{p.Name}\":{p.Value.GetRawText()}").Append($"\"{member}\":{value}");
                    var reply = await _raw.SendAsync(op, "{" + string.Join(',', parts) + "}");
                    Assert.True(reply.Status is 200 or 400 or 413 || (reply.Status == 412 && reply.Type == "DryRunOperationException"), $"{op}.{member}={value[..Math.Min(value.Length, 30)]}: {reply.Status} {reply.Raw}");
                    if (reply.Status != 200) Assert.False(string.IsNullOrEmpty(reply.Type), reply.Raw);
                }
            }
        }
    }

    public void Dispose() => _raw.Dispose();
}
