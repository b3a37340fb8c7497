using System.Collections.Concurrent;
using Keyward.Core.Keys;

namespace Keyward.Core.Service;

/// <summary>
/// Read cache in front of storage for the hot path (every Encrypt and Decrypt resolves a key,
/// maybe an alias, and a material version).
/// <list type="bullet">
/// <item>Material versions are immutable, so they are cached until their key is deleted.</item>
/// <item>Key records, alias targets and grant lists are cached for at most <see cref="MaxAge"/> once other nodes
/// share the database (<see cref="ShareWithOtherWriters"/>), and for <see cref="SoleWriterMaxAge"/> while this
/// process is the database's only writer (SQLite, under the data directory's lock). Every change made through this
/// node replaces or drops the entry at once, so a single node always reads its own writes. A change made by another
/// node sharing the database arrives as a change notice (<see cref="Invalidate"/>, by key version) within
/// milliseconds, and in any case is seen within MaxAge, the bound that holds even when notices are lost.</item>
/// </list>
/// Reads that precede a write (optimistic concurrency) bypass the cache.
/// </summary>
public sealed class KeyCache(TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    /// <summary>
    /// With no other writer nothing can change an entry behind this node's back; the bound is only a safety net. Long
    /// enough that a key used less often than every 2 s (a random key among 100,000 at 10,000 requests a second) is
    /// still read from memory.
    /// </summary>
    public static readonly TimeSpan SoleWriterMaxAge = TimeSpan.FromMinutes(5);

    // Past this many entries a map is emptied and refilled (no LRU bookkeeping on the hot path). Above the 100,000 keys
    // the key-count benchmark uses, so that a working set of that size stays cached.
    private const int MaxEntries = 250_000;
    private long _maxAgeTicks = (long)(SoleWriterMaxAge.TotalSeconds * clock.TimestampFrequency);

    /// <summary>Other nodes write to the database too: entries live at most <see cref="MaxAge"/> from now on.</summary>
    public void ShareWithOtherWriters()
    {
        Volatile.Write(ref _maxAgeTicks, (long)(MaxAge.TotalSeconds * clock.TimestampFrequency));
        Clear();
    }

    // A null Key is a tombstone: the key was deleted here, and a read that raced with the
    // deletion must not put it back.
    private readonly ConcurrentDictionary<string, (KeyRecord? Key, long Version, long Expires)> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Account, string Region, string Alias), (string KeyId, long Expires)> _aliases = new();
    private readonly ConcurrentDictionary<(string KeyId, string MaterialId), MaterialRecord> _materials = new();
    // A key's grants to one grantee, by key then grantee (a key may have 50,000 grants; authorization needs only the
    // caller's): read only when a key policy does not allow a request, then cached like key records. A change to any
    // grant of a key drops the key's entry, all grantees at once.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, (IReadOnlyList<GrantRecord> Grants, long Expires)>> _grants =
        new(StringComparer.Ordinal);

    private long _puts;

    /// <summary>
    /// Whether a map has reached <see cref="MaxEntries"/>, asked once every 1,024 puts (to any map): ConcurrentDictionary.Count takes
    /// every one of its locks, and asked on every put (each cache miss) it serialized the misses of all requests.
    /// A map may so exceed the bound by a few thousand entries.
    /// </summary>
    private bool Full<TKey, TValue>(ConcurrentDictionary<TKey, TValue> map) where TKey : notnull =>
        (Interlocked.Increment(ref _puts) & 1023) == 0 && map.Count >= MaxEntries;

    private long Now => clock.GetTimestamp();
    private long Expiry => Now + Volatile.Read(ref _maxAgeTicks);

    private long _hits, _misses;

    /// <summary>Key lookups answered from the cache, and those that went to storage (/metrics).</summary>
    public (long Hits, long Misses) KeyLookups => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    public KeyRecord? GetKey(string keyId)
    {
        var key = _keys.TryGetValue(keyId, out var e) && e.Expires > Now ? e.Key : null;
        Interlocked.Increment(ref key is null ? ref _misses : ref _hits);
        return key;
    }

    /// <summary>
    /// Caches a key record unless a newer version (or a deletion) is already cached: a slow read
    /// that finishes after this node's own write must not bring the old state back.
    /// </summary>
    public void PutKey(KeyRecord key)
    {
        if (Full(_keys)) _keys.Clear();
        var now = Now;
        var fresh = (key, key.Version, Expiry);
        // A change-notice marker (no record, version v) admits version v itself; a deletion marker (long.MaxValue) admits nothing.
        _keys.AddOrUpdate(key.StorageId, fresh, (_, old) =>
            old.Expires <= now || key.Version > old.Version || (old.Key is null && key.Version == old.Version) ? fresh : old);
    }

    /// <summary>
    /// Another node wrote version <paramref name="version"/> of the key (long.MaxValue: deleted it).
    /// An older cached record is dropped, and a read that started before the change and ends after
    /// it cannot put the older version back until the marker expires.
    /// </summary>
    public void Invalidate(string keyId, long version)
    {
        var marker = ((KeyRecord?)null, version, Expiry);
        _keys.AddOrUpdate(keyId, marker, (_, old) => old.Version >= version && old.Expires > Now ? old : marker);
        if (version == long.MaxValue)
            foreach (var k in _materials.Keys) if (k.KeyId == keyId) _materials.TryRemove(k, out _);
    }

    /// <summary>The change feed missed notices (its connection was down): forget every key, alias and grant list.</summary>
    public void Clear()
    {
        _keys.Clear();
        _aliases.Clear();
        _grants.Clear();
    }

    public IReadOnlyList<GrantRecord>? GetGrants(string keyId, string grantee) =>
        _grants.TryGetValue(keyId, out var byGrantee) && byGrantee.TryGetValue(grantee, out var e) && e.Expires > Now ? e.Grants : null;

    public void PutGrants(string keyId, string grantee, IReadOnlyList<GrantRecord> grants)
    {
        if (Full(_grants)) _grants.Clear();
        var byGrantee = _grants.GetOrAdd(keyId, _ => new(StringComparer.Ordinal));
        if (Full(byGrantee)) byGrantee.Clear();
        byGrantee[grantee] = (grants, Expiry);
    }

    /// <summary>A grant of the key was created, retired or revoked (here or, by notice, on another node).</summary>
    public void DropGrants(string keyId) => _grants.TryRemove(keyId, out _);

    // Keys are by storage id (KeyIds.StorageId); an alias's value is its target's storage id.

    public string? GetAlias(string account, string region, string alias) =>
        _aliases.TryGetValue((account, region, alias), out var e) && e.Expires > Now ? e.KeyId : null;

    public void PutAlias(string account, string region, string alias, string keyId)
    {
        if (Full(_aliases)) _aliases.Clear();
        _aliases[(account, region, alias)] = (keyId, Expiry);
    }

    public void DropAlias(string account, string region, string alias) => _aliases.TryRemove((account, region, alias), out _);

    public MaterialRecord? GetMaterial(string keyId, string materialId) =>
        _materials.GetValueOrDefault((keyId, materialId));

    public void PutMaterial(MaterialRecord material)
    {
        if (Full(_materials)) _materials.Clear();
        _materials[(material.KeyId, material.MaterialId)] = material;
    }

    /// <summary>The key was deleted: forget it, its material and every alias that pointed at it.</summary>
    public void DropKey(string keyId)
    {
        _keys[keyId] = (null, long.MaxValue, Expiry);
        _grants.TryRemove(keyId, out _);
        foreach (var k in _materials.Keys) if (k.KeyId == keyId) _materials.TryRemove(k, out _);
        foreach (var (k, v) in _aliases) if (v.KeyId == keyId) _aliases.TryRemove(k, out _);
    }
}
