using Keyward.Protocol.Xks;

namespace Keyward.Xks;

/// <summary>
/// What an external key store keeps of the proxy's Encrypt answer, inside the KMS ciphertext blob after its header
/// (docs/ciphertext-format.md, "External key stores"):
/// <code>
///   0      1  envelope format = 0x01
///   1      1  IV length n (12 or 16)
///   2      n  initializationVector
///   2+n    1  ciphertextMetadata length m (0–20)
///   3+n    m  ciphertextMetadata
///   3+n+m 16  authenticationTag
///   19+n+m …  ciphertext (the KMS-side ciphertext, encrypted by the external key)
/// </code>
/// Nothing here is secret: it is the outer layer of a double encryption. The proxy authenticates all of it.
/// </summary>
internal static class XksEnvelope
{
    private const byte Format = 0x01;
    private const int TagSize = 16;

    public static byte[] Write(XksEncryptResponse r)
    {
        var meta = r.CiphertextMetadata ?? [];
        var envelope = new byte[3 + r.InitializationVector.Length + meta.Length + TagSize + r.Ciphertext.Length];
        var at = 0;
        envelope[at++] = Format;
        envelope[at++] = (byte)r.InitializationVector.Length;
        r.InitializationVector.CopyTo(envelope, at);
        at += r.InitializationVector.Length;
        envelope[at++] = (byte)meta.Length;
        meta.CopyTo(envelope, at);
        at += meta.Length;
        r.AuthenticationTag.CopyTo(envelope, at);
        at += TagSize;
        r.Ciphertext.CopyTo(envelope, at);
        return envelope;
    }

    /// <summary>The proxy's fields again; false for anything that is not a well-formed envelope.</summary>
    public static bool TryRead(ReadOnlySpan<byte> envelope, out XksEncryptResponse fields)
    {
        fields = null!;
        if (envelope.Length < 2 || envelope[0] != Format) return false;
        int ivLength = envelope[1];
        if (ivLength is not (12 or 16) || envelope.Length < 3 + ivLength) return false;
        var iv = envelope.Slice(2, ivLength).ToArray();
        int metaLength = envelope[2 + ivLength];
        var at = 3 + ivLength;
        if (metaLength > 20 || envelope.Length <= at + metaLength + TagSize) return false;
        var meta = envelope.Slice(at, metaLength).ToArray();
        at += metaLength;
        var tag = envelope.Slice(at, TagSize).ToArray();
        at += TagSize;
        fields = new XksEncryptResponse(envelope[at..].ToArray(), iv, tag) { CiphertextMetadata = metaLength == 0 ? null : meta };
        return true;
    }
}
