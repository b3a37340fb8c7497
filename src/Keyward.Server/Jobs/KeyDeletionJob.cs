using Keyward.Core.Service;
using Keyward.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Keyward.Server.Jobs;

/// <summary>
/// Deletes keys whose waiting period has passed, every <c>interval</c> of real time. Whether a
/// key is due is decided by the service's clock (an injected TimeProvider), so tests can move it.
/// </summary>
internal sealed class KeyDeletionJob(KmsService service, TimeSpan interval, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Start() => _loop = Task.Run(LoopAsync);

    public async Task<int> RunOnceAsync(CancellationToken ct = default)
    {
        var count = await service.DeleteDueKeysAsync(ct);
        if (count > 0) Log.KeysDeleted(logger, count);
        return count;
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                try { await RunOnceAsync(_stop.Token); }
                catch (Exception e) when (e is not OperationCanceledException) { Log.DeletionJobFailed(logger, e); }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
