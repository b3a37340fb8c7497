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
    private readonly WakeableLoop _loop;

    public CustomKeyStoreSyncJob(KmsService service, TimeSpan interval, ILogger logger)
    {
        _service = service;
        _loop = new WakeableLoop(interval, async ct =>
        {
            try
            {
                var changed = await service.SyncCustomKeyStoresAsync(ct);
                if (changed > 0) Log.StoresSynced(logger, changed);
            }
            catch (StorageUnavailableException e) { Log.StoreSyncFailed(logger, e.Message); }
            catch (Exception e) when (e is not OperationCanceledException) { Log.StoreSyncFailed(logger, e.GetType().Name); }
        });
        service.CustomKeyStoresChanged += _loop.Wake;
    }

    public void Start() => _loop.Start();

    public async ValueTask DisposeAsync()
    {
        _service.CustomKeyStoresChanged -= _loop.Wake;
        await _loop.DisposeAsync();
    }
}
