using System.Security.Cryptography;

namespace Keyward.Core.Crypto;

public enum SignatureScheme
{
    RsaPss,
    RsaPkcs1,
    Ecdsa,

    /// <summary>Pure Ed25519 (RFC 8032 §5.1): signs the message itself.</summary>
    Ed25519,

    /// <summary>Ed25519ph (RFC 8032 §5.1): signs a SHA-512 prehash, given as a DIGEST.</summary>
    Ed25519ph,

    /// <summary>ML-DSA (FIPS 204 §5.2), hedged, empty context: signs the message itself.</summary>
    MlDsa,
}

/// <summary>What Sign's and Verify's MessageType says the message is.</summary>
public enum MessageKind
{
    Raw,
    Digest,

    /// <summary>ML-DSA's 64-byte μ (FIPS 204 §6.2), computed by the caller.</summary>
    ExternalMu,
}

/// <summary>
/// The message of a Sign or Verify as the caller gave it (the key store decides what to hash): schemes that hash then
/// sign (RSA, ECDSA) take <see cref="Digest"/>; Ed25519 and ML-DSA take the message, Ed25519ph the prehash.
/// </summary>
public readonly record struct SigningInput(ReadOnlyMemory<byte> Message, MessageKind Kind)
{
    /// <summary>The digest a hash-then-sign scheme signs: a RAW message hashed with the algorithm's hash, a DIGEST as is.</summary>
    public byte[] Digest(SigningAlgorithm algorithm) =>
        Kind == MessageKind.Raw ? algorithm.HashMessage(Message.Span) : Message.ToArray();
}

/// <summary>
/// An AWS signing algorithm Keyward implements: its hash, the exact length a DIGEST (or, for ML-DSA, an
/// EXTERNAL_MU) message must have, and its scheme. PSS uses a salt as long as the digest and MGF1 with the same hash;
/// ECDSA signatures are DER (RFC 3279) sequences, as AWS returns them; Ed25519 signatures are 64 bytes (R ‖ S).
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
        new("ED25519_SHA_512", HashAlgorithmName.SHA512, 64, SignatureScheme.Ed25519),
        new("ED25519_PH_SHA_512", HashAlgorithmName.SHA512, 64, SignatureScheme.Ed25519ph),
        new("ML_DSA_SHAKE_256", default, 64, SignatureScheme.MlDsa),
    ];

    public static SigningAlgorithm? Find(string name)
    {
        foreach (var a in All)
            if (a.Name == name) return a;
        return null;
    }

    public RSASignaturePadding RsaPadding => Scheme == SignatureScheme.RsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;

    /// <summary>Hashes a RAW message with this algorithm's hash.</summary>
    public byte[] HashMessage(ReadOnlySpan<byte> message) =>
        Hash == HashAlgorithmName.SHA256 ? Keyward.OpenSsl.Sha256.Hash(message) : CryptographicOperations.HashData(Hash, message);
}
