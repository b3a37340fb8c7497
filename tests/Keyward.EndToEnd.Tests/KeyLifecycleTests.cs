using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;
using Tag = Amazon.KeyManagementService.Model.Tag;

namespace Keyward.EndToEnd.Tests;

[Collection(ServerCollection.Name)]
public sealed class KeyLifecycleTests(ServerFixture server)
{
    private readonly AmazonKeyManagementServiceClient _kms = server.Client();

    [Fact]
    public async Task CreateKey_returns_aws_shaped_metadata()
    {
        var before = DateTime.UtcNow.AddSeconds(-1);
        var created = await _kms.CreateKeyAsync(new CreateKeyRequest { Description = "orders" });
        var m = created.KeyMetadata;
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", m.KeyId);
        Assert.Equal($"arn:aws:kms:us-east-1:111122223333:key/{m.KeyId}", m.Arn);
        Assert.Equal("111122223333", m.AWSAccountId);
        Assert.Equal("orders", m.Description);
        Assert.True(m.Enabled);
        Assert.Equal(KeyState.Enabled, m.KeyState);
        Assert.Equal(KeyUsageType.ENCRYPT_DECRYPT, m.KeyUsage);
        Assert.Equal(KeySpec.SYMMETRIC_DEFAULT, m.KeySpec);
        Assert.Equal(OriginType.AWS_KMS, m.Origin);
        Assert.Equal(KeyManagerType.CUSTOMER, m.KeyManager);
        Assert.Equal([EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT], m.EncryptionAlgorithms);
        Assert.False(m.MultiRegion);
        Assert.InRange(m.CreationDate!.Value.ToUniversalTime(), before, DateTime.UtcNow.AddSeconds(1));

        var described = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = m.KeyId })).KeyMetadata;
        Assert.Equal(m.Arn, described.Arn);
        Assert.Equal(m.CreationDate, described.CreationDate);
    }

    [Fact]
    public async Task CreateKey_stores_tags_and_policy()
    {
        const string policy = """{"Version":"2012-10-17","Statement":[{"Sid":"all","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}""";
        var id = (await _kms.CreateKeyAsync(new CreateKeyRequest
        {
            Policy = policy,
            Tags = [new Tag { TagKey = "team", TagValue = "payments" }, new Tag { TagKey = "env", TagValue = "" }],
        })).KeyMetadata.KeyId;
        var tags = (await _kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = id })).Tags;
        Assert.Equal(["env", "team"], tags.Select(t => t.TagKey));
        Assert.Equal(policy, (await _kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = id, PolicyName = "default" })).Policy);
    }

    [Fact]
    public async Task CreateKey_refuses_what_it_cannot_do_with_aws_errors()
    {
        var e1 = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.RSA_2048 }));
        Assert.Equal("ValidationException", e1.ErrorCode);
        Assert.Equal("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.", e1.Message);
        var e2 = await Assert.ThrowsAsync<TagException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { Tags = [new Tag { TagKey = "aws:x", TagValue = "1" }] }));
        Assert.Contains("aws:", e2.Message);
        await Assert.ThrowsAsync<MalformedPolicyDocumentException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { Policy = "{not json" }));
        var e3 = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { KeyUsage = KeyUsageType.SIGN_VERIFY }));
        Assert.Equal("ValidationException", e3.ErrorCode);
        var e4 = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "AES_999" }));
        Assert.Equal("ValidationException", e4.ErrorCode);
        Assert.Contains("Member must satisfy enum value set", e4.Message);
    }

    [Fact]
    public async Task DescribeKey_accepts_every_way_of_naming_a_key()
    {
        var m = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var alias = "alias/describe-" + Guid.NewGuid().ToString("N");
        await _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = m.KeyId });
        foreach (var name in new[] { m.KeyId, m.Arn, alias, $"arn:aws:kms:us-east-1:111122223333:{alias}", m.KeyId.ToUpperInvariant() })
            Assert.Equal(m.KeyId, (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = name })).KeyMetadata.KeyId);
    }

    [Fact]
    public async Task Unknown_keys_are_NotFound_with_aws_text()
    {
        var id = Guid.NewGuid().ToString();
        var e = await Assert.ThrowsAsync<NotFoundException>(() => _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = id }));
        Assert.Equal($"Key 'arn:aws:kms:us-east-1:111122223333:key/{id}' does not exist", e.Message);
        var e2 = await Assert.ThrowsAsync<NotFoundException>(() => _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/none-such" }));
        Assert.Equal("Alias arn:aws:kms:us-east-1:111122223333:alias/none-such is not found.", e2.Message);
        await Assert.ThrowsAsync<NotFoundException>(() => _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "not-a-key" }));
        // AWS's recorded answer to a key ARN of another region (LocalStack's snapshot test_get_key_in_different_region).
        var foreign = await Assert.ThrowsAsync<NotFoundException>(() => _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = $"arn:aws:kms:eu-west-1:111122223333:key/{id}" }));
        Assert.Equal("Invalid arn eu-west-1", foreign.Message);
        await Assert.ThrowsAsync<InvalidArnException>(() => _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "arn:aws:kms:us-east-1" }));
        // EnableKey does not take aliases.
        await Assert.ThrowsAsync<NotFoundException>(() => _kms.EnableKeyAsync(new EnableKeyRequest { KeyId = "alias/none-such" }));
    }

    [Fact]
    public async Task ListKeys_pages_with_markers()
    {
        var client = server.Client();
        for (var i = 0; i < 3; i++) await client.CreateKeyAsync(new CreateKeyRequest());
        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await client.ListKeysAsync(new ListKeysRequest { Limit = 2, Marker = marker });
            Assert.InRange(page.Keys.Count, 0, 2);
            Assert.All(page.Keys, k => Assert.Equal($"arn:aws:kms:us-east-1:111122223333:key/{k.KeyId}", k.KeyArn));
            seen.AddRange(page.Keys.Select(k => k.KeyId));
            marker = page.Truncated == true ? page.NextMarker : null;
        } while (marker is not null);
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.True(seen.Count >= 3);
        Assert.Equal(seen.OrderBy(s => s, StringComparer.Ordinal), seen);
        await Assert.ThrowsAsync<InvalidMarkerException>(() => client.ListKeysAsync(new ListKeysRequest { Marker = "bogus" }));
    }

    [Fact]
    public async Task Disable_and_enable_change_what_the_key_can_do()
    {
        var id = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        await _kms.DisableKeyAsync(new DisableKeyRequest { KeyId = id });
        var m = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = id })).KeyMetadata;
        Assert.Equal(KeyState.Disabled, m.KeyState);
        Assert.False(m.Enabled);
        var e = await Assert.ThrowsAsync<DisabledException>(() => _kms.EncryptAsync(new EncryptRequest { KeyId = id, Plaintext = new MemoryStream([1]) }));
        Assert.Equal($"{m.Arn} is disabled.", e.Message);
        await _kms.EnableKeyAsync(new EnableKeyRequest { KeyId = id });
        await _kms.EncryptAsync(new EncryptRequest { KeyId = id, Plaintext = new MemoryStream([1]) });
    }

    [Fact]
    public async Task UpdateKeyDescription_changes_the_description()
    {
        var id = (await _kms.CreateKeyAsync(new CreateKeyRequest { Description = "old" })).KeyMetadata.KeyId;
        await _kms.UpdateKeyDescriptionAsync(new UpdateKeyDescriptionRequest { KeyId = id, Description = "new" });
        Assert.Equal("new", (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = id })).KeyMetadata.Description);
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            _kms.UpdateKeyDescriptionAsync(new UpdateKeyDescriptionRequest { KeyId = id, Description = new string('x', 8193) }));
        Assert.Equal("ValidationException", e.ErrorCode);
    }

    [Fact]
    public async Task Scheduled_deletion_blocks_use_and_cancel_leaves_the_key_disabled()
    {
        var m = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var ct = (await _kms.EncryptAsync(new EncryptRequest { KeyId = m.KeyId, Plaintext = new MemoryStream([5]) })).CiphertextBlob.ToArray();

        var bad = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            _kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = m.KeyId, PendingWindowInDays = 6 }));
        Assert.Equal("ValidationException", bad.ErrorCode);

        var scheduled = await _kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = m.KeyId });
        Assert.Equal(m.Arn, scheduled.KeyId);
        Assert.Equal(KeyState.PendingDeletion, scheduled.KeyState);
        Assert.Equal(30, scheduled.PendingWindowInDays);
        Assert.InRange(scheduled.DeletionDate!.Value.ToUniversalTime(), DateTime.UtcNow.AddDays(30).AddMinutes(-1), DateTime.UtcNow.AddDays(30).AddMinutes(1));
        var d = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = m.KeyId })).KeyMetadata;
        Assert.Equal(KeyState.PendingDeletion, d.KeyState);
        Assert.Equal(30, d.PendingDeletionWindowInDays);

        var e = await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.EncryptAsync(new EncryptRequest { KeyId = m.KeyId, Plaintext = new MemoryStream([1]) }));
        Assert.Equal($"{m.Arn} is pending deletion.", e.Message);
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(ct) }));
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = m.KeyId }));
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.EnableKeyAsync(new EnableKeyRequest { KeyId = m.KeyId }));

        var cancelled = await _kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = m.KeyId });
        Assert.Equal(m.Arn, cancelled.KeyId);
        var after = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = m.KeyId })).KeyMetadata;
        Assert.Equal(KeyState.Disabled, after.KeyState);
        Assert.Null(after.DeletionDate);
        var notPending = await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = m.KeyId }));
        Assert.Equal($"{m.Arn} is not pending deletion.", notPending.Message);

        await _kms.EnableKeyAsync(new EnableKeyRequest { KeyId = m.KeyId });
        var plain = (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(ct) })).Plaintext.ToArray();
        Assert.Equal(new byte[] { 5 }, plain);
    }
}
