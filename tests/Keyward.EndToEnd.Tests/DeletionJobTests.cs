using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>Own server: these tests move the lifecycle clock, which would disturb other tests.</summary>
public sealed class DeletionJobTests : IAsyncLifetime
{
    private readonly ServerFixture _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Keys_are_deleted_by_the_job_once_the_waiting_period_ends_and_not_before()
    {
        var kms = _server.Client();
        var doomed = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var kept = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var alias = "alias/doomed";
        await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = doomed.KeyId });
        var ct = (await kms.EncryptAsync(new EncryptRequest { KeyId = doomed.KeyId, Plaintext = new MemoryStream([1, 2]) })).CiphertextBlob.ToArray();
        await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = doomed.KeyId, PendingWindowInDays = 7 });
        await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = kept.KeyId, PendingWindowInDays = 30 });

        _server.Clock.Advance(TimeSpan.FromDays(6));
        Assert.Equal(0, (await _server.Host.RunLifecycleJobAsync()).Deleted);
        Assert.Equal(KeyState.PendingDeletion, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = doomed.KeyId })).KeyMetadata.KeyState);

        _server.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        // The job runs on its own every 200 ms; wait for it rather than calling it.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try { await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = doomed.KeyId }); }
            catch (NotFoundException) { break; }
            await Task.Delay(100);
        }
        await Assert.ThrowsAsync<NotFoundException>(() => kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = doomed.KeyId }));
        await Assert.ThrowsAsync<NotFoundException>(() => kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = alias }));
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(ct) }));
        Assert.Equal(KeyState.PendingDeletion, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = kept.KeyId })).KeyMetadata.KeyState);
    }
}
