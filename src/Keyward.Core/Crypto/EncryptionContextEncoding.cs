using System.Buffers.Binary;
using System.Text;

namespace Keyward.Core.Crypto;

/// <summary>
/// Canonical bytes of an encryption context, bound into ciphertexts as AAD:
/// u32 pair count, then for each pair in ordinal order of the key,
/// u32 byte length + UTF-8 key, u32 byte length + UTF-8 value (all big-endian).
/// Length prefixes make the encoding injective: {"ab":"c"} and {"a":"bc"} differ.
/// Pair order in the request does not matter; case does. An absent and an empty context are equal.
/// </summary>
internal static class EncryptionContextEncoding
{
    public static int Size(IReadOnlyDictionary<string, string>? context)
    {
        var size = 4;
        if (context is null) return size;
        foreach (var (k, v) in context) size += 8 + Encoding.UTF8.GetByteCount(k) + Encoding.UTF8.GetByteCount(v);
        return size;
    }

    public static byte[] Encode(IReadOnlyDictionary<string, string>? context)
    {
        var buffer = new byte[Size(context)];
        Write(context, buffer);
        return buffer;
    }

    public static int Write(IReadOnlyDictionary<string, string>? context, Span<byte> destination)
    {
        var count = context?.Count ?? 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)count);
        var offset = 4;
        if (count == 0) return offset;
        var keys = new string[count];
        var i = 0;
        foreach (var k in context!.Keys) keys[i++] = k;
        Array.Sort(keys, StringComparer.Ordinal);
        foreach (var key in keys)
        {
            offset += WriteString(key, destination[offset..]);
            offset += WriteString(context[key], destination[offset..]);
        }
        return offset;
    }

    private static int WriteString(string s, Span<byte> destination)
    {
        var n = Encoding.UTF8.GetBytes(s, destination[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)n);
        return 4 + n;
    }
}
