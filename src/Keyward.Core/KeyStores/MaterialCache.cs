using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Keyward.Core.KeyStores;

/// <summary>
/// Unwrapped material by (key id, material id), in pinned arrays. Material versions are
/// immutable, so entries never go stale; they are retired when their key is deleted and zeroed
/// once the last user of an entry has let go (a lease count, so no request ever reads a zeroed key).
/// </summary>
internal sealed class MaterialCache : IDisposable
{
    private readonly ConcurrentDictionary<(string KeyId, string MaterialId), Entry> _entries = new();

    internal sealed class Entry(byte[] key)
    {
        public readonly byte[] Key = key;
        private int _users;
        private bool _retired;

        public bool TryAcquire()
        {
            lock (this)
            {
                if (_retired) return false;
                _users++;
                return true;
            }
        }

        public void Release()
        {
            lock (this)
            {
                if (--_users == 0 && _retired) CryptographicOperations.ZeroMemory(Key);
            }
        }

        public void Retire()
        {
            lock (this)
            {
                _retired = true;
                if (_users == 0) CryptographicOperations.ZeroMemory(Key);
            }
        }
    }

    internal readonly struct Lease(Entry entry) : IDisposable
    {
        public ReadOnlySpan<byte> Key => entry.Key;
        public void Dispose() => entry.Release();
    }

    public bool TryLease(string keyId, string materialId, out Lease lease)
    {
        if (_entries.TryGetValue((keyId, materialId), out var entry) && entry.TryAcquire())
        {
            lease = new Lease(entry);
            return true;
        }
        lease = default;
        return false;
    }

    /// <summary>Caches <paramref name="key"/> (taking ownership) and returns a lease on whichever entry won.</summary>
    public Lease Add(string keyId, string materialId, byte[] key)
    {
        var fresh = new Entry(key);
        var entry = _entries.GetOrAdd((keyId, materialId), fresh);
        if (!ReferenceEquals(entry, fresh)) CryptographicOperations.ZeroMemory(key);
        if (entry.TryAcquire()) return new Lease(entry);
        // Retired between GetOrAdd and acquire: the key is being deleted right now.
        throw new KeyStoreException(KeyStoreFailure.NotFound, $"Key {keyId} was deleted.");
    }

    public void Retire(string keyId)
    {
        foreach (var k in _entries.Keys)
            if (k.KeyId == keyId && _entries.TryRemove(k, out var entry)) entry.Retire();
    }

    public void Dispose()
    {
        foreach (var k in _entries.Keys)
            if (_entries.TryRemove(k, out var entry)) entry.Retire();
    }
}
