using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;
using Tag = Amazon.KeyManagementService.Model.Tag;

namespace Keyward.EndToEnd.Tests;

[Collection(ServerCollection.Name)]
public sealed class AliasTagPolicyTests(ServerFixture server)
{
    private readonly AmazonKeyManagementServiceClient _kms = server.Client();

    private async Task<KeyMetadata> NewKeyAsync() => (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;

    private static string NewAlias() => "alias/t-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Aliases_are_created_listed_retargeted_and_deleted()
    {
        var a = await NewKeyAsync();
        var b = await NewKeyAsync();
        var alias = NewAlias();
        await _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = a.Arn });
        var exists = await Assert.ThrowsAsync<AlreadyExistsException>(() => _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = b.KeyId }));
        Assert.Equal($"An alias with the name arn:aws:kms:us-east-1:111122223333:{alias} already exists", exists.Message);

        var listed = (await _kms.ListAliasesAsync(new ListAliasesRequest { KeyId = a.KeyId })).Aliases;
        var entry = Assert.Single(listed);
        Assert.Equal(alias, entry.AliasName);
        Assert.Equal($"arn:aws:kms:us-east-1:111122223333:{alias}", entry.AliasArn);
        Assert.Equal(a.KeyId, entry.TargetKeyId);
        Assert.NotNull(entry.CreationDate);

        await _kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = alias, TargetKeyId = b.KeyId });
        Assert.Equal(b.KeyId, (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = alias })).KeyMetadata.KeyId);
        Assert.Empty((await _kms.ListAliasesAsync(new ListAliasesRequest { KeyId = a.KeyId })).Aliases);

        await _kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = alias });
        await Assert.ThrowsAsync<NotFoundException>(() => _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = alias }));
        await Assert.ThrowsAsync<NotFoundException>(() => _kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = alias }));
        await Assert.ThrowsAsync<NotFoundException>(() => _kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = alias, TargetKeyId = a.KeyId }));
    }

    [Fact]
    public async Task Alias_names_follow_aws_rules()
    {
        var key = await NewKeyAsync();
        await Assert.ThrowsAsync<InvalidAliasNameException>(() => _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/aws/mine", TargetKeyId = key.KeyId }));
        // AWS's recorded answer to a name without the prefix (LocalStack's snapshot test_create_alias).
        var noPrefix = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "noprefix", TargetKeyId = key.KeyId }));
        Assert.Equal(("ValidationException", "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"),
            (noPrefix.ErrorCode, noPrefix.Message));
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = string.Concat("alias/has", " space"), TargetKeyId = key.KeyId }));
        Assert.Equal("ValidationException", e.ErrorCode);
        Assert.Contains("Member must satisfy regular expression pattern", e.Message);
        await Assert.ThrowsAsync<NotFoundException>(() => _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = NewAlias(), TargetKeyId = Guid.NewGuid().ToString() }));
        await _kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 });
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = NewAlias(), TargetKeyId = key.KeyId }));
    }

    [Fact]
    public async Task ListAliases_pages()
    {
        var key = await NewKeyAsync();
        var names = Enumerable.Range(0, 5).Select(_ => NewAlias()).ToList();
        foreach (var n in names) await _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = n, TargetKeyId = key.KeyId });
        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await _kms.ListAliasesAsync(new ListAliasesRequest { KeyId = key.KeyId, Limit = 2, Marker = marker });
            seen.AddRange(page.Aliases.Select(a => a.AliasName));
            marker = page.Truncated == true ? page.NextMarker : null;
        } while (marker is not null);
        Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Tags_are_added_overwritten_removed_and_checked()
    {
        var key = await NewKeyAsync();
        await _kms.TagResourceAsync(new TagResourceRequest { KeyId = key.Arn, Tags = [new Tag { TagKey = "a", TagValue = "1" }, new Tag { TagKey = "b", TagValue = "2" }] });
        await _kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "a", TagValue = "9" }] });
        await _kms.UntagResourceAsync(new UntagResourceRequest { KeyId = key.KeyId, TagKeys = ["b"] });
        var tags = (await _kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId })).Tags;
        var tag = Assert.Single(tags);
        Assert.Equal(("a", "9"), (tag.TagKey, tag.TagValue));
        // AWS's types and messages, in AWS's order (duplicates before the reserved prefix).
        var reserved = await Assert.ThrowsAsync<TagException>(() => _kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "AWS:reserved", TagValue = "x" }] }));
        Assert.Equal("Tags beginning with aws: are reserved", reserved.Message);
        var duplicate = await Assert.ThrowsAsync<TagException>(() => _kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "aws:d", TagValue = "1" }, new Tag { TagKey = "aws:d", TagValue = "2" }] }));
        Assert.Equal("Duplicate tag keys", duplicate.Message);
        var fifty = Enumerable.Range(0, 50).Select(i => new Tag { TagKey = "k" + i, TagValue = "v" }).ToList();
        await Assert.ThrowsAsync<LimitExceededException>(() => _kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = fifty }));
        var tooMany = await Assert.ThrowsAsync<TagException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { Tags = [.. fifty, new Tag { TagKey = "k50", TagValue = "v" }] }));
        Assert.Equal("Too many tags", tooMany.Message);
        var longValue = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { Tags = [new Tag { TagKey = "t", TagValue = new string('v', 257) }] }));
        Assert.Equal("ValidationException", longValue.ErrorCode);
        // Keyward shortens an echoed value past 256 characters (the response stays bounded).
        Assert.Equal($"1 validation error detected: Value '{new string('v', 256)}...' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256", longValue.Message);
        var longKey = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { Tags = [new Tag { TagKey = new string('a', 129), TagValue = "v" }] }));
        Assert.Equal($"1 validation error detected: Value '{new string('a', 129)}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128", longKey.Message);
    }

    [Fact]
    public async Task ListResourceTags_pages()
    {
        var key = await NewKeyAsync();
        await _kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = Enumerable.Range(0, 5).Select(i => new Tag { TagKey = "k" + i, TagValue = "v" }).ToList() });
        var page1 = await _kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId, Limit = 3 });
        Assert.True(page1.Truncated);
        var page2 = await _kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId, Limit = 3, Marker = page1.NextMarker });
        Assert.False(page2.Truncated);
        Assert.Equal(["k0", "k1", "k2", "k3", "k4"], page1.Tags.Concat(page2.Tags).Select(t => t.TagKey));
    }

    [Fact]
    public async Task Key_policies_default_replace_and_validate()
    {
        var key = await NewKeyAsync();
        var policy = (await _kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId })).Policy;
        Assert.Contains("\"Sid\" : \"Enable IAM User Permissions\"", policy);
        Assert.Contains("\"AWS\" : \"arn:aws:iam::111122223333:root\"", policy);
        Assert.Equal(["default"], (await _kms.ListKeyPoliciesAsync(new ListKeyPoliciesRequest { KeyId = key.KeyId })).PolicyNames);

        const string next = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["kms:Get*","kms:Put*","kms:Decrypt"],"Resource":"*"}]}""";
        await _kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, PolicyName = "default", Policy = next });
        Assert.Equal(next, (await _kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId, PolicyName = "default" })).Policy);
        // The new policy is enforced at once: Encrypt is no longer allowed, Decrypt is.
        var denied = await Denied(() => _kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1]) }));
        Assert.Equal($"User: arn:aws:iam::111122223333:root is not authorized to perform: kms:Encrypt on resource: {key.Arn} because no resource-based policy allows the kms:Encrypt action", denied.Message);

        await Assert.ThrowsAsync<MalformedPolicyDocumentException>(() => _kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, Policy = "[]" }));
        await Assert.ThrowsAsync<MalformedPolicyDocumentException>(() => _kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, Policy = """{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"kms:*","Resource":"*"}]}""" }));
        await Assert.ThrowsAsync<NotFoundException>(() => _kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId, PolicyName = "other" }));
        Assert.Equal(next, (await _kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId })).Policy);

        // The lockout safety check: a policy that would stop the caller from changing it again is refused, unless bypassed.
        const string lockout = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}""";
        var refused = await Assert.ThrowsAsync<MalformedPolicyDocumentException>(() => _kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, Policy = lockout }));
        Assert.Equal("The new key policy will not allow you to update the key policy in the future.", refused.Message);
        await Assert.ThrowsAsync<MalformedPolicyDocumentException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { Policy = lockout }));
        await _kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, Policy = lockout, BypassPolicyLockoutSafetyCheck = true });
        // Locked out for good: even the account's root cannot read or change the policy any more.
        await Denied(() => _kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId }));
        await Denied(() => _kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, Policy = next, BypassPolicyLockoutSafetyCheck = true }));
    }

    /// <summary>AccessDeniedException is not a modeled KMS error: the SDK raises its base exception with that error code.</summary>
    private static async Task<AmazonKeyManagementServiceException> Denied(Func<Task> call)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(call);
        Assert.Equal("AccessDeniedException", e.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, e.StatusCode);
        return e;
    }
}
