using Keyward.Core.Keys;
using Keyward.Core.Storage;

namespace Keyward.Core.Service;

/// <summary>
/// Several nodes on one database: what another node changed reaches this node's caches and custom
/// key store connections. Key records and aliases are invalidated by change notices; store
/// connections follow the store records (<see cref="SyncCustomKeyStoresAsync"/>).
/// </summary>
public sealed partial class KmsService
{
    /// <summary>Raised when another node changed a custom key store, so the host syncs connections now.</summary>
    public event Action? CustomKeyStoresChanged;

    /// <summary>Follows the change notices of shared storage (PostgreSQL); the single-node SQLite store has none.</summary>
    public void Follow(IStorageChangeFeed feed)
    {
        _cache.ShareWithOtherWriters();
        feed.Changed += OnChange;
        feed.Reset += () =>
        {
            _cache.Clear();
            CustomKeyStoresChanged?.Invoke();
        };
    }

    private void OnChange(StorageChange change)
    {
        switch (change.Kind)
        {
            case StorageChangeKind.Key:
                _cache.Invalidate(change.Id, change.Version);
                // A key deleted elsewhere: its unwrapped material must not linger in this process.
                if (change.Version == long.MaxValue) keyStore.Forget(change.Id);
                break;
            case StorageChangeKind.Alias:
                // "account/region/alias/name": neither an account id nor a Region holds a '/'.
                var parts = change.Id.Split('/', 3);
                if (parts.Length == 3) _cache.DropAlias(parts[0], parts[1], parts[2]);
                break;
            case StorageChangeKind.Grants:
                _cache.DropGrants(change.Id);
                break;
            case StorageChangeKind.CustomKeyStore:
                CustomKeyStoresChanged?.Invoke();
                break;
        }
    }

    /// <summary>
    /// Makes this node's connections match the store records another node may have changed: a CONNECTED
    /// store gets a local connection (logged in with its password; the record is not rewritten), a store
    /// that is no longer CONNECTED, or is gone, loses it at once. A local connection that fails is tried
    /// again on the next sync; until then this node answers KMSInvalidStateException for its keys.
    /// Returns how many connections were opened or closed.
    /// </summary>
    public async Task<int> SyncCustomKeyStoresAsync(CancellationToken ct)
    {
        var changed = 0;
        var records = await storage.ListCustomKeyStoresAsync(null, ct);
        var connected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            _stores.Remember(record);
            if (record.ConnectionState != CustomKeyStores.Connected) continue;
            connected.Add(record.CustomKeyStoreId);
            if (_stores.IsConnected(record.CustomKeyStoreId))
            {
                // An external key store whose proxy settings another node changed is opened again with the new ones.
                if (record.StoreType != CustomKeyStores.External || _stores.Settings(record.CustomKeyStoreId) == XksSettings(record)) continue;
                _stores.Close(record.CustomKeyStoreId);
                changed++;
            }
            // Logged in here without rewriting the record; a failure is tried again on the next sync.
            if ((await ConnectStoreAsync(record, healthCheck: false)).Added) changed++;
        }
        foreach (var id in _stores.ConnectedIds())
        {
            if (connected.Contains(id)) continue;
            // CONNECTING on this node's own request keeps the connection it is about to record.
            if (records.FirstOrDefault(r => r.CustomKeyStoreId == id) is { ConnectionState: CustomKeyStores.Connecting }) continue;
            _stores.Close(id);
            changed++;
        }
        foreach (var id in _stores.RecordIds())
            if (!records.Any(r => r.CustomKeyStoreId == id)) _stores.ForgetRecord(id);
        return changed;
    }
}
