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

    /// <summary>
    /// Lease counting without a lock (every Encrypt and Decrypt of a key passes here): the low
    /// 31 bits of <c>_state</c> count users, the sign bit marks the entry retired. Whoever
    /// brings a retired entry to zero users zeroes the key.
    /// </summary>
    internal sealed class Entry(byte[] key)
    {
        public readonly byte[] Key = key;
        private int _state;

        public bool TryAcquire()
        {
            while (true)
            {
                var s = Volatile.Read(ref _state);
                if (s < 0) return false;
                if (Interlocked.CompareExchange(ref _state, s + 1, s) == s) return true;
            }
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _state) == int.MinValue) CryptographicOperations.ZeroMemory(Key);
        }

        public void Retire()
        {
            while (true)
            {
                var s = Volatile.Read(ref _state);
                if (s < 0) return;
                if (Interlocked.CompareExchange(ref _state, s | int.MinValue, s) != s) continue;
                if (s == 0) CryptographicOperations.ZeroMemory(Key);
                return;
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
