using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Keyward.Protocol;

/// <summary>Comparisons of secrets and of values derived from them (signatures, MACs, hashes).</summary>
public static class ConstantTime
{
    /// <summary>
    /// Whether <paramref name="left"/> and <paramref name="right"/> hold the same bytes, in a time that depends only on
    /// their lengths: every byte is compared and the differences are OR-ed together, with no branch on a value. The
    /// contract of <c>CryptographicOperations.FixedTimeEquals</c>, which is compiled without optimisation and took
    /// about 0.5 µs for a SigV4 signature (128 bytes) against 7 ns here (docs/benchmarks.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool AreEqual(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        if (left.Length != right.Length) return false;
        ref var l = ref MemoryMarshal.GetReference(left);
        ref var r = ref MemoryMarshal.GetReference(right);
        var length = left.Length;
        var differ = Vector128<byte>.Zero;
        var i = 0;
        for (; i <= length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            differ |= Vector128.LoadUnsafe(ref l, (nuint)i) ^ Vector128.LoadUnsafe(ref r, (nuint)i);
        var rest = 0;
        for (; i < length; i++) rest |= Unsafe.Add(ref l, i) ^ Unsafe.Add(ref r, i);
        var lanes = differ.AsUInt64();
        return (lanes.GetElement(0) | lanes.GetElement(1) | (uint)rest) == 0;
    }

    /// <summary><see cref="AreEqual(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> over the UTF-16 code units of two texts.</summary>
    public static bool AreEqual(ReadOnlySpan<char> left, ReadOnlySpan<char> right) =>
        AreEqual(MemoryMarshal.AsBytes(left), MemoryMarshal.AsBytes(right));
}
