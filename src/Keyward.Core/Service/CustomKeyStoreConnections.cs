using System.Collections.Concurrent;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;

namespace Keyward.Core.Service;

/// <summary>
/// This process's live connections to custom key stores, and the last store records it has seen
/// (for the CloudHsmClusterId in key metadata). A store record says what the store should be
/// (CONNECTED, DISCONNECTED…); a connection is what this process holds.
/// </summary>
internal sealed class CustomKeyStoreConnections : IDisposable
{
    private readonly ConcurrentDictionary<string, IHsmKeyStore> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CustomKeyStoreRecord> _records = new(StringComparer.Ordinal);

    public bool TryGet(string storeId, out IHsmKeyStore store) => _connections.TryGetValue(storeId, out store!);

    /// <summary>Adds a connection; false (and the caller disposes it) if one is already there.</summary>
    public bool TryAdd(string storeId, IHsmKeyStore store) => _connections.TryAdd(storeId, store);

    public void Close(string storeId)
    {
        if (_connections.TryRemove(storeId, out var store)) store.Dispose();
    }

    public void Remember(CustomKeyStoreRecord record) => _records[record.CustomKeyStoreId] = record;

    public void ForgetRecord(string storeId) => _records.TryRemove(storeId, out _);

    public CustomKeyStoreRecord? Record(string storeId) => _records.TryGetValue(storeId, out var r) ? r : null;

    public IReadOnlyList<string> ConnectedIds() => [.. _connections.Keys];

    public IReadOnlyList<string> RecordIds() => [.. _records.Keys];

    public void Dispose()
    {
        foreach (var id in _connections.Keys) Close(id);
    }
}
