using Keyward.Core.Keys;

namespace Keyward.Core.Crypto;

/// <summary>
/// The symmetric ciphertext blob (docs/ciphertext-format.md). Version 1:
/// <code>
///   0      1  format = 0x01 (key id a UUID) or 0x02 (a Multi-Region key id, mrk- and 32 hex digits)
///   1     16  key id (UUID or the 32 hex digits, big-endian bytes)
///   17    32  material id
///   49     n  key-store payload (software store: 16-byte nonce, 12-byte IV, ciphertext, 16-byte tag)
/// </code>
/// The 49-byte header followed by the canonical encryption context is the AAD of the payload,
/// so neither can be altered without decryption failing.
/// </summary>
public readonly struct CiphertextBlob
{
    public const byte FormatV1 = 0x01;
    /// <summary>Version 1 with a Multi-Region key id: a replica in any Region decrypts it.</summary>
    public const byte FormatV1MultiRegion = 0x02;
    public const int HeaderSize = 1 + 16 + MaterialIds.Size;

    public string KeyId { get; }
    public string MaterialId { get; }
    public ReadOnlyMemory<byte> Header { get; }
    public ReadOnlyMemory<byte> Payload { get; }

    private CiphertextBlob(string keyId, string materialId, ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> payload)
    {
        KeyId = keyId;
        MaterialId = materialId;
        Header = header;
        Payload = payload;
    }

    /// <summary>
    /// The AAD of a new blob's payload: its header (the first <see cref="HeaderSize"/> bytes, which the blob starts
    /// with) followed by the canonical encryption context.
    /// </summary>
    public static byte[] HeaderAndAad(string keyId, string materialId, IReadOnlyDictionary<string, string>? context)
    {
        var aad = new byte[HeaderSize + EncryptionContextEncoding.Size(context)];
        aad[0] = KeyIds.Write(keyId, aad.AsSpan(1, 16)) ? FormatV1MultiRegion : FormatV1;
        MaterialIds.Write(materialId, aad.AsSpan(17, MaterialIds.Size));
        EncryptionContextEncoding.Write(context, aad.AsSpan(HeaderSize));
        return aad;
    }

    public static byte[] Compose(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        var blob = new byte[header.Length + payload.Length];
        header.CopyTo(blob);
        payload.CopyTo(blob.AsSpan(header.Length));
        return blob;
    }

    /// <summary>Parses the clear header. False for anything that is not a version-1 blob.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> blob, out CiphertextBlob parsed)
    {
        parsed = default;
        var span = blob.Span;
        if (span.Length <= HeaderSize || span[0] is not (FormatV1 or FormatV1MultiRegion)) return false;
        parsed = new CiphertextBlob(KeyIds.Read(span.Slice(1, 16), span[0] == FormatV1MultiRegion), MaterialIds.Read(span.Slice(17, MaterialIds.Size)),
            blob[..HeaderSize], blob[HeaderSize..]);
        return true;
    }

    /// <summary>AAD = header ‖ canonical encryption context.</summary>
    public static byte[] Aad(ReadOnlySpan<byte> header, IReadOnlyDictionary<string, string>? context)
    {
        var aad = new byte[header.Length + EncryptionContextEncoding.Size(context)];
        header.CopyTo(aad);
        EncryptionContextEncoding.Write(context, aad.AsSpan(header.Length));
        return aad;
    }
}
