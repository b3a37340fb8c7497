using System.Security.Cryptography;

namespace Keyward.Core.Keys;

/// <summary>
/// Key material ids are 32 random bytes, shown as 64 lower-case hex characters (the shape of
/// AWS's KeyMaterialId). In a ciphertext blob they travel as the 32 bytes.
/// </summary>
public static class MaterialIds
{
    public const int Size = 32;

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Size));

    public static void Write(string materialId, Span<byte> destination)
    {
        if (materialId.Length != Size * 2 || Convert.FromHexString(materialId, destination, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
            throw new ArgumentException("Not a material id.", nameof(materialId));
    }

    public static string Read(ReadOnlySpan<byte> source) => Convert.ToHexStringLower(source[..Size]);
}
