using System.Security.Cryptography;

namespace Keyward.Core.Crypto;

public enum SignatureScheme
{
    RsaPss,
    RsaPkcs1,
    Ecdsa,
}

/// <summary>
/// An AWS signing algorithm Keyward implements: its hash, the exact length a DIGEST message must
/// have, and its scheme. PSS uses a salt as long as the digest and MGF1 with the same hash;
/// ECDSA signatures are DER (RFC 3279) sequences, as AWS returns them.
/// </summary>
public sealed record SigningAlgorithm(string Name, HashAlgorithmName Hash, int DigestLength, SignatureScheme Scheme)
{
    private static readonly SigningAlgorithm[] All =
    [
        new("RSASSA_PSS_SHA_256", HashAlgorithmName.SHA256, 32, SignatureScheme.RsaPss),
        new("RSASSA_PSS_SHA_384", HashAlgorithmName.SHA384, 48, SignatureScheme.RsaPss),
        new("RSASSA_PSS_SHA_512", HashAlgorithmName.SHA512, 64, SignatureScheme.RsaPss),
        new("RSASSA_PKCS1_V1_5_SHA_256", HashAlgorithmName.SHA256, 32, SignatureScheme.RsaPkcs1),
        new("RSASSA_PKCS1_V1_5_SHA_384", HashAlgorithmName.SHA384, 48, SignatureScheme.RsaPkcs1),
        new("RSASSA_PKCS1_V1_5_SHA_512", HashAlgorithmName.SHA512, 64, SignatureScheme.RsaPkcs1),
        new("ECDSA_SHA_256", HashAlgorithmName.SHA256, 32, SignatureScheme.Ecdsa),
        new("ECDSA_SHA_384", HashAlgorithmName.SHA384, 48, SignatureScheme.Ecdsa),
        new("ECDSA_SHA_512", HashAlgorithmName.SHA512, 64, SignatureScheme.Ecdsa),
    ];

    public static SigningAlgorithm? Find(string name)
    {
        foreach (var a in All)
            if (a.Name == name) return a;
        return null;
    }

    public RSASignaturePadding RsaPadding => Scheme == SignatureScheme.RsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;

    /// <summary>Hashes a RAW message with this algorithm's hash.</summary>
    public byte[] HashMessage(ReadOnlySpan<byte> message) => CryptographicOperations.HashData(Hash, message);
}
