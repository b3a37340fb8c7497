using System.Security.Cryptography;

namespace Keyward.Protocol.Xks;

/// <summary>ciphertextDataIntegrityValue, computed by the proxy and checked by KMS (spec Appendix C).</summary>
public static class XksIntegrity
{
    /// <summary>SHA-256 over AAD ‖ ciphertextMetadata ‖ IV ‖ ciphertext ‖ tag: the decoded bytes, no length prefixes, absent fields empty.</summary>
    public static byte[] Cdiv(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(aad);
        hash.AppendData(metadata);
        hash.AppendData(iv);
        hash.AppendData(ciphertext);
        hash.AppendData(tag);
        return hash.GetHashAndReset();
    }
}
