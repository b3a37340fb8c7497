using System.Collections.Concurrent;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;

namespace Keyward.Core.Service;

/// <summary>
/// This process's live connections to custom key stores (a logged-in HSM cluster, or an XKS proxy client), and
/// the last store records it has seen (for the CloudHsmClusterId in key metadata). A store record says what the
/// store should be (CONNECTED, DISCONNECTED…); a connection is what this process holds. An XKS connection
/// remembers the proxy settings it was opened with, so a node can tell when another node changed them.
/// </summary>
internal sealed class CustomKeyStoreConnections : IDisposable
{
    private readonly ConcurrentDictionary<string, Connection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CustomKeyStoreRecord> _records = new(StringComparer.Ordinal);

    private sealed record Connection(IDisposable Store, string? Settings);

    public bool TryGet(string storeId, out IHsmKeyStore store)
    {
        store = null!;
        if (!_connections.TryGetValue(storeId, out var c) || c.Store is not IHsmKeyStore hsm) return false;
        store = hsm;
        return true;
    }

    public bool TryGetProxy(string storeId, out IXksProxy proxy)
    {
        proxy = null!;
        if (!_connections.TryGetValue(storeId, out var c) || c.Store is not IXksProxy xks) return false;
        proxy = xks;
        return true;
    }

    public bool IsConnected(string storeId) => _connections.ContainsKey(storeId);

    /// <summary>The proxy settings an XKS connection was opened with; null for HSM connections and when none is open.</summary>
    public string? Settings(string storeId) => _connections.TryGetValue(storeId, out var c) ? c.Settings : null;

    /// <summary>Adds a connection; false (and the caller disposes it) if one is already there.</summary>
    public bool TryAdd(string storeId, IDisposable store, string? settings = null) => _connections.TryAdd(storeId, new Connection(store, settings));

    public void Close(string storeId)
    {
        if (_connections.TryRemove(storeId, out var c)) c.Store.Dispose();
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
