using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.Core.Crypto;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Automatic and on-demand rotation through the AWS SDK for .NET. Own server: the tests move the
/// lifecycle clock, and run the lifecycle job themselves (it does not run on its own here), so
/// they can see an on-demand rotation before it is performed.
/// </summary>
public sealed class RotationTests : IAsyncLifetime
{
    private readonly ServerFixture _server = new() { LifecycleJob = false };
    private AmazonKeyManagementServiceClient _kms = null!;

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        _kms = _server.Client();
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Automatic_rotation_over_several_years_keeps_every_version_decrypting()
    {
        var key = await NewKeyAsync();
        await _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key, RotationPeriodInDays = 365 });
        var enabledAt = DateTime.UtcNow;
        var status = await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key });
        Assert.True(status.KeyRotationEnabled);
        Assert.Equal(365, status.RotationPeriodInDays);
        Assert.InRange(status.NextRotationDate!.Value, enabledAt.AddDays(365).AddMinutes(-1), enabledAt.AddDays(365).AddMinutes(1));

        var versions = new List<(string MaterialId, byte[] Blob, byte[] Plaintext)>();
        for (var year = 0; year < 4; year++)
        {
            var plaintext = BitConverter.GetBytes(year);
            var encrypted = await _kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream(plaintext) });
            var current = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.CurrentKeyMaterialId;
            Assert.Equal(current, MaterialIdOf(encrypted.CiphertextBlob.ToArray()));
            versions.Add((current, encrypted.CiphertextBlob.ToArray(), plaintext));

            // Not yet due a day before the date, due on it.
            _server.Clock.Advance(TimeSpan.FromDays(364));
            Assert.Equal(0, (await _server.Host.RunLifecycleJobAsync()).Rotated);
            _server.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
            Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Rotated);
            Assert.Equal(0, (await _server.Host.RunLifecycleJobAsync()).Rotated);
        }

        Assert.Equal(4, versions.Select(v => v.MaterialId).Distinct().Count());
        var newest = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.CurrentKeyMaterialId;
        Assert.DoesNotContain(newest, versions.Select(v => v.MaterialId));
        foreach (var (materialId, blob, plaintext) in versions)
        {
            var decrypted = await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) });
            Assert.Equal(plaintext, decrypted.Plaintext.ToArray());
            Assert.Equal(materialId, decrypted.KeyMaterialId);
            // ReEncrypt moves a ciphertext of any version onto the current one.
            var moved = await _kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = new MemoryStream(blob), DestinationKeyId = key });
            Assert.Equal(materialId, moved.SourceKeyMaterialId);
            Assert.Equal(newest, moved.DestinationKeyMaterialId);
            Assert.Equal(newest, MaterialIdOf(moved.CiphertextBlob.ToArray()));
        }

        var rotations = await AllRotationsAsync(key, includeAll: false, pageSize: 3);
        Assert.Equal(4, rotations.Count);
        Assert.All(rotations, r => Assert.Equal(RotationType.AUTOMATIC, r.RotationType));
        Assert.All(rotations, r => Assert.NotNull(r.RotationDate));
        Assert.Equal(newest, rotations[^1].KeyMaterialId);
        Assert.Equal(KeyMaterialState.CURRENT, rotations[^1].KeyMaterialState);
        Assert.All(rotations.Take(3), r => Assert.Equal(KeyMaterialState.NON_CURRENT, r.KeyMaterialState));

        var all = await AllRotationsAsync(key, includeAll: true, pageSize: 2);
        Assert.Equal(5, all.Count);
        Assert.Equal(versions[0].MaterialId, all[0].KeyMaterialId);
        Assert.Null(all[0].RotationType);
        Assert.Null(all[0].ImportState);

        status = await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key });
        Assert.InRange(status.NextRotationDate!.Value, enabledAt.AddDays(5 * 365).AddMinutes(-1), enabledAt.AddDays(5 * 365).AddDays(5));
    }

    [Fact]
    public async Task Disabled_keys_and_keys_pending_deletion_are_not_rotated()
    {
        var disabled = await NewKeyAsync();
        var doomed = await NewKeyAsync();
        await _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = disabled, RotationPeriodInDays = 90 });
        await _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = doomed, RotationPeriodInDays = 90 });
        await _kms.DisableKeyAsync(new DisableKeyRequest { KeyId = disabled });
        _server.Clock.Advance(TimeSpan.FromDays(89));
        await _kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = doomed, PendingWindowInDays = 30 });
        Assert.False((await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = doomed })).KeyRotationEnabled);

        // Both rotation dates pass: neither key rotates.
        _server.Clock.Advance(TimeSpan.FromDays(20));
        Assert.Equal(0, (await _server.Host.RunLifecycleJobAsync()).Rotated);
        Assert.Single(await AllRotationsAsync(disabled, includeAll: true, pageSize: 10));
        Assert.Single(await AllRotationsAsync(doomed, includeAll: true, pageSize: 10));

        // Re-enabled after missing its date: rotates at once, then every period from now.
        await _kms.EnableKeyAsync(new EnableKeyRequest { KeyId = disabled });
        Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Rotated);
        Assert.Equal(2, (await AllRotationsAsync(disabled, includeAll: true, pageSize: 10)).Count);
        var next = (await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = disabled })).NextRotationDate!.Value;
        Assert.InRange(next, DateTime.UtcNow.AddDays(109 + 89), DateTime.UtcNow.AddDays(109 + 91));

        // Cancelling the deletion brings the rotation status back; the key is Disabled, so it still waits.
        await _kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = doomed });
        Assert.True((await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = doomed })).KeyRotationEnabled);
        Assert.Equal(0, (await _server.Host.RunLifecycleJobAsync()).Rotated);
    }

    [Fact]
    public async Task On_demand_rotation_is_performed_by_the_job_and_limited_per_key()
    {
        var key = await NewKeyAsync();
        var first = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.CurrentKeyMaterialId;
        var reply = await _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key });
        Assert.Equal(key, reply.KeyId);

        var status = await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key });
        Assert.NotNull(status.OnDemandRotationStartDate);
        Assert.False(status.KeyRotationEnabled);
        await Assert.ThrowsAsync<ConflictException>(() => _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key }));

        Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Rotated);
        status = await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key });
        Assert.Null(status.OnDemandRotationStartDate);
        var rotations = await AllRotationsAsync(key, includeAll: false, pageSize: 100);
        var only = Assert.Single(rotations);
        Assert.Equal(RotationType.ON_DEMAND, only.RotationType);
        Assert.NotEqual(first, only.KeyMaterialId);

        for (var i = 1; i < 25; i++)
        {
            await _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key });
            Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Rotated);
        }
        var limit = await Assert.ThrowsAsync<LimitExceededException>(() => _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key }));
        Assert.Contains("25", limit.Message);
        Assert.Equal(26, (await AllRotationsAsync(key, includeAll: true, pageSize: 7)).Count);
    }

    [Fact]
    public async Task On_demand_rotation_does_not_move_the_automatic_schedule_and_is_refused_just_before_it()
    {
        var key = await NewKeyAsync();
        await _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key, RotationPeriodInDays = 90 });
        var scheduled = (await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key })).NextRotationDate;
        await _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key });
        Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Rotated);
        Assert.Equal(scheduled, (await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key })).NextRotationDate);

        _server.Clock.Advance(TimeSpan.FromDays(90) - TimeSpan.FromMinutes(10));
        await Assert.ThrowsAsync<ConflictException>(() => _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key }));

        // Changing the period counts from the last rotation date; disabling clears the schedule.
        await _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key, RotationPeriodInDays = 180 });
        Assert.Equal(scheduled!.Value.AddDays(90), (await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key })).NextRotationDate);
        await _kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = key });
        status(await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key }));

        static void status(GetKeyRotationStatusResponse s)
        {
            Assert.False(s.KeyRotationEnabled);
            Assert.Null(s.NextRotationDate);
            Assert.Null(s.RotationPeriodInDays);
        }
    }

    [Theory]
    [InlineData("RSA_2048", "SIGN_VERIFY")]
    [InlineData("ECC_NIST_P256", "SIGN_VERIFY")]
    [InlineData("HMAC_256", "GENERATE_VERIFY_MAC")]
    public async Task Asymmetric_and_HMAC_keys_cannot_rotate(string spec, string usage)
    {
        var key = (await _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = spec, KeyUsage = usage })).KeyMetadata.KeyId;
        var arn = $"arn:aws:kms:us-east-1:111122223333:key/{key}";
        var e = await Assert.ThrowsAsync<UnsupportedOperationException>(() => _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key }));
        Assert.Equal($"{arn} has key spec {spec}. Only symmetric encryption KMS keys support key rotation.", e.Message);
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = key }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key }));
        Assert.False((await _kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key })).KeyRotationEnabled);
    }

    [Fact]
    public async Task Rotation_requests_get_AWS_errors()
    {
        var key = await NewKeyAsync();
        // Out-of-range values the SDK's own analyzer would refuse as literals; the server must refuse them too.
        int tooShort = Days(89), tooLong = Days(2561);
        var low = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key, RotationPeriodInDays = tooShort }));
        Assert.Equal("ValidationException", low.ErrorCode);
        Assert.Equal("1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90", low.Message);
        var high = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key, RotationPeriodInDays = tooLong }));
        Assert.Equal("ValidationException", high.ErrorCode);

        var imported = (await _kms.CreateKeyAsync(new CreateKeyRequest { Origin = OriginType.EXTERNAL })).KeyMetadata.KeyId;
        var origin = await Assert.ThrowsAsync<UnsupportedOperationException>(() => _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = imported }));
        Assert.Equal($"arn:aws:kms:us-east-1:111122223333:key/{imported} origin is EXTERNAL which is not valid for this operation.", origin.Message);
        // An imported key in PendingImport cannot rotate on demand either.
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = imported }));

        var marker = await Assert.ThrowsAsync<InvalidMarkerException>(() => _kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key, Marker = "bm90LWEtbWFya2Vy" }));
        Assert.Equal("Invalid marker.", marker.Message);
    }

    private static int Days(int days) => days;

    private async Task<string> NewKeyAsync() => (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;

    private async Task<List<RotationsListEntry>> AllRotationsAsync(string key, bool includeAll, int pageSize)
    {
        var all = new List<RotationsListEntry>();
        string? marker = null;
        do
        {
            var page = await _kms.ListKeyRotationsAsync(new ListKeyRotationsRequest
            {
                KeyId = key,
                Limit = pageSize,
                Marker = marker,
                IncludeKeyMaterial = includeAll ? IncludeKeyMaterial.ALL_KEY_MATERIAL : IncludeKeyMaterial.ROTATIONS_ONLY,
            });
            Assert.True(page.Rotations.Count <= pageSize);
            all.AddRange(page.Rotations);
            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);
        return all;
    }

    /// <summary>The material version a blob names in its clear header (docs/ciphertext-format.md).</summary>
    private static string MaterialIdOf(byte[] blob)
    {
        Assert.True(CiphertextBlob.TryParse(blob, out var parsed));
        return parsed.MaterialId;
    }
}
