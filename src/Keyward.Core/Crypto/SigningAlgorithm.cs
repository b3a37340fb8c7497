using System.Security.Cryptography;

namespace Keyward.Core.Crypto;

internal enum SignatureScheme
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
internal sealed record SigningAlgorithm(string Name, HashAlgorithmName Hash, int DigestLength, SignatureScheme Scheme)
{
    public static SigningAlgorithm? Find(string name) => name switch
    {
        "RSASSA_PSS_SHA_256" => new(name, HashAlgorithmName.SHA256, 32, SignatureScheme.RsaPss),
        "RSASSA_PSS_SHA_384" => new(name, HashAlgorithmName.SHA384, 48, SignatureScheme.RsaPss),
        "RSASSA_PSS_SHA_512" => new(name, HashAlgorithmName.SHA512, 64, SignatureScheme.RsaPss),
        "RSASSA_PKCS1_V1_5_SHA_256" => new(name, HashAlgorithmName.SHA256, 32, SignatureScheme.RsaPkcs1),
        "RSASSA_PKCS1_V1_5_SHA_384" => new(name, HashAlgorithmName.SHA384, 48, SignatureScheme.RsaPkcs1),
        "RSASSA_PKCS1_V1_5_SHA_512" => new(name, HashAlgorithmName.SHA512, 64, SignatureScheme.RsaPkcs1),
        "ECDSA_SHA_256" => new(name, HashAlgorithmName.SHA256, 32, SignatureScheme.Ecdsa),
        "ECDSA_SHA_384" => new(name, HashAlgorithmName.SHA384, 48, SignatureScheme.Ecdsa),
        "ECDSA_SHA_512" => new(name, HashAlgorithmName.SHA512, 64, SignatureScheme.Ecdsa),
        _ => null,
    };

    public RSASignaturePadding RsaPadding => Scheme == SignatureScheme.RsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;

    /// <summary>Hashes a RAW message with this algorithm's hash.</summary>
    public byte[] HashMessage(ReadOnlySpan<byte> message)
    {
        var digest = new byte[DigestLength];
        if (Hash == HashAlgorithmName.SHA256) SHA256.HashData(message, digest);
        else if (Hash == HashAlgorithmName.SHA384) SHA384.HashData(message, digest);
        else SHA512.HashData(message, digest);
        return digest;
    }
}
