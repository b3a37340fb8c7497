using Keyward.Core.Service;
using Keyward.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Keyward.Server.Jobs;

/// <summary>What one pass of the lifecycle job did.</summary>
internal readonly record struct LifecycleRun(int Deleted, int Rotated, int Expired, int PurgedImportParameters);

/// <summary>
/// The background work of key lifecycles, every <c>interval</c> of real time: deletes keys whose
/// waiting period has passed, performs due rotations (automatic, and on-demand ones, for which the
/// service wakes the job at once), deletes imported material whose ValidTo has passed, and forgets
/// expired import wrapping keys. What is due is decided by the service's clock (an injected
/// TimeProvider), so tests can move it. Passes never overlap.
/// </summary>
internal sealed class KeyLifecycleJob : IAsyncDisposable
{
    private readonly KmsService _service;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly SemaphoreSlim _pass = new(1, 1);
    private Task? _loop;

    public KeyLifecycleJob(KmsService service, TimeSpan interval, ILogger logger)
    {
        _service = service;
        _interval = interval;
        _logger = logger;
        service.RotationRequested += Wake;
    }

    public void Start() => _loop = Task.Run(LoopAsync);

    public async Task<LifecycleRun> RunOnceAsync(CancellationToken ct = default)
    {
        await _pass.WaitAsync(ct);
        try
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
        finally { _pass.Release(); }
    }

    private void Wake()
    {
        try { if (_wake.CurrentCount == 0) _wake.Release(); }
        catch (SemaphoreFullException) { }
        catch (ObjectDisposedException) { }
    }

    private async Task LoopAsync()
    {
        try
        {
            while (true)
            {
                try { await RunOnceAsync(_stop.Token); }
                catch (Exception e) when (e is not OperationCanceledException) { Log.LifecycleJobFailed(_logger, e); }
                await _wake.WaitAsync(_interval, _stop.Token);
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _service.RotationRequested -= Wake;
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
        _wake.Dispose();
        _pass.Dispose();
    }
}
