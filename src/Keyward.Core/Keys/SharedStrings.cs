using System.Collections.Concurrent;

namespace Keyward.Core.Keys;

/// <summary>
/// One instance of each distinct value of the text columns most key records repeat: the key policy (nearly every key
/// has the default one), the account, the Region, the key spec, usage and origin. A record read from the database
/// keeps the shared string, so 100,000 keys with the default policy hold one copy of it and one parsed policy
/// (<see cref="Policies.PolicyDocument.ForKey"/> caches by string identity) instead of one each.
/// </summary>
/// <remarks>
/// Bounded, and never evicts: at most <see cref="Capacity"/> values of at most <see cref="MaxLength"/> characters
/// (16 MiB); past that a value is kept as it came. Policies are not secret; no key material passes through here.
/// </remarks>
public static class SharedStrings
{
    public const int Capacity = 2048;
    public const int MaxLength = 4096;

    private static readonly ConcurrentDictionary<string, string> Values = new(StringComparer.Ordinal);
    // Counted apart: ConcurrentDictionary.Count takes every lock of the map.
    private static int _count;

    public static string Of(string value)
    {
        if (value.Length == 0) return string.Empty;
        if (Values.TryGetValue(value, out var shared)) return shared;
        if (value.Length > MaxLength || Volatile.Read(ref _count) >= Capacity) return value;
        if (Values.TryAdd(value, value)) Interlocked.Increment(ref _count);
        return Values.TryGetValue(value, out shared) ? shared : value;
    }
}
