using System.Security.Cryptography;
using Keyward.Core.Keys;

namespace Keyward.Core.Crypto;

/// <summary>
/// Generation of RSA and ECC key pairs, and the operations that need only the public key
/// (Verify, RSA encryption, checking a peer's key). Keys travel as DER: PKCS#8 for private keys,
/// SubjectPublicKeyInfo for public keys, the forms GetPublicKey and openssl use.
/// </summary>
internal static class AsymmetricKeys
{
    /// <summary>A new key pair for an asymmetric spec. The caller zeroes <c>Pkcs8</c>.</summary>
    public static (byte[] Pkcs8, byte[] PublicKey) Generate(KeySpecInfo spec)
    {
        if (spec.IsBouncyCastle) return BouncyCastleKeys.Generate(spec);
        using AsymmetricAlgorithm key = spec.Family switch
        {
            KeyFamily.Rsa => RSA.Create(spec.Bits),
            KeyFamily.Ecc => ECDsa.Create(spec.Curve),
            _ => throw new InvalidOperationException($"{spec.Name} has no key pair."),
        };
        return (key.ExportPkcs8PrivateKey(), key.ExportSubjectPublicKeyInfo());
    }

    public static RSAEncryptionPadding? RsaEncryptionPadding(string algorithm) => algorithm switch
    {
        "RSAES_OAEP_SHA_1" => RSAEncryptionPadding.OaepSHA1,
        "RSAES_OAEP_SHA_256" => RSAEncryptionPadding.OaepSHA256,
        _ => null,
    };

    /// <summary>The largest plaintext RSAES-OAEP takes: k − 2·hLen − 2 bytes (RFC 8017, 7.1.1).</summary>
    public static int MaxOaepPlaintext(int modulusBits, RSAEncryptionPadding padding) =>
        modulusBits / 8 - 2 * (padding == RSAEncryptionPadding.OaepSHA1 ? 20 : 32) - 2;

    public static byte[] RsaEncrypt(byte[] publicKey, RSAEncryptionPadding padding, ReadOnlySpan<byte> plaintext)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(publicKey, out _);
        return rsa.Encrypt(plaintext, padding);
    }

    /// <summary>True when <paramref name="signature"/> is valid; a malformed signature is simply invalid.</summary>
    public static bool Verify(byte[] publicKey, SigningAlgorithm algorithm, SigningInput input, ReadOnlySpan<byte> signature)
    {
        if (algorithm.Scheme is SignatureScheme.Ed25519 or SignatureScheme.Ed25519ph or SignatureScheme.MlDsa)
            return BouncyCastleKeys.Verify(publicKey, algorithm, input, signature);
        var digest = input.Digest(algorithm);
        try
        {
            if (algorithm.Scheme == SignatureScheme.Ecdsa)
            {
                using var ec = ECDsa.Create();
                ec.ImportSubjectPublicKeyInfo(publicKey, out _);
                return ec.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
            }
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(publicKey, out _);
            return rsa.VerifyHash(digest, signature, algorithm.Hash, algorithm.RsaPadding);
        }
        catch (Exception e) when (MalformedInput.Is(e))
        {
            return false;
        }
    }

    /// <summary>
    /// True when <paramref name="peerPublicKey"/> is a DER SubjectPublicKeyInfo of a point on the
    /// spec's curve (the import validates that the point lies on the curve).
    /// </summary>
    public static bool IsPeerKeyFor(KeySpecInfo spec, byte[] peerPublicKey)
    {
        try
        {
            using var peer = ECDiffieHellman.Create();
            peer.ImportSubjectPublicKeyInfo(peerPublicKey, out var read);
            if (read != peerPublicKey.Length) return false;
            var curve = peer.ExportParameters(false).Curve;
            return curve.IsNamed && curve.Oid.Value == spec.Curve.Oid.Value;
        }
        catch (Exception e) when (MalformedInput.Is(e))
        {
            return false;
        }
    }
}
