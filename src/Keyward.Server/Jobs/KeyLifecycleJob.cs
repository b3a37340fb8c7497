using Keyward.Core.Service;
using Keyward.Core.Storage;
using Keyward.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Keyward.Server.Jobs;

/// <summary>What one pass of the lifecycle job did.</summary>
/// <param name="Skipped">Another node held the job's lease, so this node did nothing.</param>
public readonly record struct LifecycleRun(int Deleted, int Rotated, int Expired, int PurgedImportParameters, bool Skipped = false);

/// <summary>
/// The background work of key lifecycles, every <c>interval</c> of real time: deletes keys whose
/// waiting period has passed, performs due rotations (automatic, and on-demand ones, for which the
/// service wakes the job at once), deletes imported material whose ValidTo has passed, and forgets
/// expired import wrapping keys. What is due is decided by the service's clock (an injected
/// TimeProvider), so tests can move it. Passes never overlap, on one node or across nodes: a pass
/// runs only while its node holds the "lifecycle" lease in the database (real time, renewed by each
/// pass, released at its end; a node that dies mid-pass holds it at most <see cref="LeaseDuration"/>).
/// Each item is also acted on with optimistic concurrency, so even two overlapping passes (a lease
/// outlived by a pass) could not delete or rotate one key twice.
/// </summary>
internal sealed class KeyLifecycleJob : IAsyncDisposable
{
    public const string LeaseName = "lifecycle";
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(2);

    private readonly KmsService _service;
    private readonly IKmsStorage _storage;
    private readonly string _node;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly WakeableLoop _loop;

    public KeyLifecycleJob(KmsService service, IKmsStorage storage, string node, TimeSpan interval, ILogger logger)
    {
        _service = service;
        _storage = storage;
        _node = node;
        _logger = logger;
        _loop = new WakeableLoop(interval, async ct =>
        {
            try { await RunOnceAsync(ct); }
            catch (Exception e) when (e is not OperationCanceledException) { Log.LifecycleJobFailed(_logger, e); }
        });
        service.RotationRequested += _loop.Wake;
    }

    public void Start() => _loop.Start();

    public async Task<LifecycleRun> RunOnceAsync(CancellationToken ct = default)
    {
        await _pass.WaitAsync(ct);
        try
        {
            if (!await _storage.TryAcquireLeaseAsync(LeaseName, _node, DateTimeOffset.UtcNow, LeaseDuration, ct))
            {
                Log.LifecycleLeaseHeld(_logger);
                return new LifecycleRun(0, 0, 0, 0, Skipped: true);
            }
            try { return await RunPassAsync(ct); }
            finally
            {
                try { await _storage.ReleaseLeaseAsync(LeaseName, _node, CancellationToken.None); }
                catch (StorageUnavailableException) { /* it expires by itself */ }
            }
        }
        finally { _pass.Release(); }
    }

    private async Task<LifecycleRun> RunPassAsync(CancellationToken ct)
    {
        // Deletion first: a key whose waiting period ended is never rotated or expired again.
        var deleted = await _service.DeleteDueKeysAsync(ct);
        var rotated = await _service.RotateDueKeysAsync(ct);
        var expired = await _service.ExpireDueMaterialsAsync(ct);
        var purged = await _service.PurgeImportParametersAsync(ct);
        if (deleted > 0) Log.KeysDeleted(_logger, deleted);
        if (rotated > 0) Log.KeysRotated(_logger, rotated);
        if (expired > 0) Log.MaterialsExpired(_logger, expired);
        return new LifecycleRun(deleted, rotated, expired, purged);
    }

    public async ValueTask DisposeAsync()
    {
        _service.RotationRequested -= _loop.Wake;
        await _loop.DisposeAsync();
        _pass.Dispose();
    }
}
