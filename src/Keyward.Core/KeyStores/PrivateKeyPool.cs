using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Keyward.Core.KeyStores;

/// <summary>
/// Parsed private keys (RSA, ECDsa, ECDiffieHellman objects) by (key id, material id), so a busy
/// key is not re-imported from PKCS#8 on every Sign. The BCL does not promise that one key
/// object may be used from several threads at once, so each object is rented by one request at
/// a time; the pool grows to the number of concurrent users of the key. Retiring a key (its
/// deletion) disposes every idle object at once and every rented one when it comes back.
/// </summary>
internal sealed class PrivateKeyPool : IDisposable
{
    private readonly ConcurrentDictionary<(string KeyId, string MaterialId), Slot> _slots = new();

    internal sealed class Slot
    {
        public readonly ConcurrentBag<AsymmetricAlgorithm> Idle = [];
        public volatile bool Retired;

        public void Drain()
        {
            while (Retired && Idle.TryTake(out var key)) key.Dispose();
        }
    }

    /// <summary>Rents an object for the material, creating one with <paramref name="create"/> when none is idle.</summary>
    public T Rent<T>(string keyId, string materialId, Func<T> create, out Slot slot) where T : AsymmetricAlgorithm
    {
        slot = _slots.GetOrAdd((keyId, materialId), static _ => new Slot());
        return slot.Idle.TryTake(out var key) ? (T)key : create();
    }

    public static void Return(Slot slot, AsymmetricAlgorithm key)
    {
        if (slot.Retired)
        {
            key.Dispose();
            return;
        }
        slot.Idle.Add(key);
        // Retired between the check and the add: take it back out.
        slot.Drain();
    }

    public void Retire(string keyId)
    {
        foreach (var k in _slots.Keys)
        {
            if (k.KeyId != keyId || !_slots.TryRemove(k, out var slot)) continue;
            slot.Retired = true;
            slot.Drain();
        }
    }

    public void Dispose()
    {
        foreach (var k in _slots.Keys)
        {
            if (!_slots.TryRemove(k, out var slot)) continue;
            slot.Retired = true;
            slot.Drain();
        }
    }
}
