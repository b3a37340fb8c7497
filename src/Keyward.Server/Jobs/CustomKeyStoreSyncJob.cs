using Keyward.Core.Service;
using Keyward.Core.Storage;
using Keyward.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Keyward.Server.Jobs;

/// <summary>
/// On a node that shares its database: keeps this node's custom key store connections in step with
/// the store records (a store connected or disconnected through another node), at once when a change
/// notice arrives and every <c>interval</c> in any case. Every node runs it; it writes nothing.
/// </summary>
internal sealed class CustomKeyStoreSyncJob : IAsyncDisposable
{
    private readonly KmsService _service;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private Task? _loop;

    public CustomKeyStoreSyncJob(KmsService service, TimeSpan interval, ILogger logger)
    {
        _service = service;
        _interval = interval;
        _logger = logger;
        service.CustomKeyStoresChanged += Wake;
    }

    public void Start() => _loop = Task.Run(LoopAsync);

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
                try
                {
                    var changed = await _service.SyncCustomKeyStoresAsync(_stop.Token);
                    if (changed > 0) Log.StoresSynced(_logger, changed);
                }
                catch (StorageUnavailableException e) { Log.StoreSyncFailed(_logger, e.Message); }
                catch (Exception e) when (e is not OperationCanceledException) { Log.StoreSyncFailed(_logger, e.GetType().Name); }
                await _wake.WaitAsync(_interval, _stop.Token);
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _service.CustomKeyStoresChanged -= Wake;
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
        _wake.Dispose();
    }
}
