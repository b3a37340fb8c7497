namespace Keyward.Core.Keys;

/// <summary>Key ids are lower-case UUIDs, as in AWS; in a ciphertext blob they travel as 16 bytes.</summary>
public static class KeyIds
{
    public static string New() => Guid.NewGuid().ToString("D");

    public static bool IsKeyId(string s) => s.Length == 36 && Guid.TryParseExact(s, "D", out _);

    public static void Write(string keyId, Span<byte> destination)
    {
        if (!Guid.TryParseExact(keyId, "D", out var g) || !g.TryWriteBytes(destination, bigEndian: true, out _))
            throw new ArgumentException("Not a key id.", nameof(keyId));
    }

    public static string Read(ReadOnlySpan<byte> source) => new Guid(source[..16], bigEndian: true).ToString("D");
}
