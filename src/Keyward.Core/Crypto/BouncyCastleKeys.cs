using System.Security.Cryptography;
using Keyward.Core.Keys;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math.EC.Rfc8032;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Keyward.Core.Crypto;

/// <summary>
/// Ed25519, ML-DSA and ML-KEM, which the BCL cannot do on this platform (no EdDSA; ML-DSA and ML-KEM need OpenSSL 3.5),
/// by BouncyCastle. Keys travel as the other asymmetric keys do: PKCS#8 for private keys, SubjectPublicKeyInfo with
/// the RFC 8410 and FIPS 204/203 OIDs for public keys. BouncyCastle's key objects keep their own copies of the
/// private key (they cannot be zeroed); callers zero every PKCS#8 buffer they hold.
/// </summary>
internal static class BouncyCastleKeys
{
    private static readonly SecureRandom Random = new();

    /// <summary>
    /// Parsed public keys by the stored array they were parsed from (a key's material record, kept by the key cache, so
    /// a busy key is parsed once: an ML-KEM public key's parse expands its matrix, most of an encapsulation's cost).
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], AsymmetricKeyParameter> PublicKeys = new();

    private static AsymmetricKeyParameter PublicKey(byte[] spki) => PublicKeys.GetValue(spki, PublicKeyFactory.CreateKey);

    /// <summary>A new key pair of an Ed25519, ML-DSA or ML-KEM spec. The caller zeroes <c>Pkcs8</c>.</summary>
    public static (byte[] Pkcs8, byte[] PublicKey) Generate(KeySpecInfo spec)
    {
        IAsymmetricCipherKeyPairGenerator generator = spec.Family switch
        {
            KeyFamily.Edwards => new Ed25519KeyPairGenerator(),
            KeyFamily.MlDsa => new MLDsaKeyPairGenerator(),
            KeyFamily.MlKem => new MLKemKeyPairGenerator(),
            _ => throw new InvalidOperationException($"{spec.Name} is not a BouncyCastle key spec."),
        };
        generator.Init(spec.Family switch
        {
            KeyFamily.MlDsa => new MLDsaKeyGenerationParameters(Random, MlDsa(spec)),
            KeyFamily.MlKem => new MLKemKeyGenerationParameters(Random, MlKem(spec)),
            _ => new Ed25519KeyGenerationParameters(Random),
        });
        var pair = generator.GenerateKeyPair();
        return (Pkcs8(pair.Private), SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded());
    }

    /// <summary>
    /// The PKCS#8 a private key is kept and handed out as: Ed25519 as RFC 8410's 48-byte version-0 form (what openssl
    /// writes); ML-DSA and ML-KEM as the seed alone (ξ; d ‖ z), the form RFC 9881 and RFC 9935 recommend, from which
    /// the rest of the key is derived.
    /// </summary>
    private static byte[] Pkcs8(AsymmetricKeyParameter privateKey)
    {
        if (privateKey is Ed25519PrivateKeyParameters ed)
        {
            var pkcs8 = new byte[Ed25519Pkcs8Prefix.Length + Ed25519PrivateKeyParameters.KeySize];
            Ed25519Pkcs8Prefix.CopyTo(pkcs8, 0);
            ed.Encode(pkcs8.AsSpan(Ed25519Pkcs8Prefix.Length));
            return pkcs8;
        }
        var seedOnly = privateKey switch
        {
            MLDsaPrivateKeyParameters dsa => (AsymmetricKeyParameter)dsa.WithPreferredFormat(MLDsaPrivateKeyParameters.Format.SeedOnly),
            MLKemPrivateKeyParameters kem => kem.WithPreferredFormat(MLKemPrivateKeyParameters.Format.SeedOnly),
            _ => privateKey,
        };
        return PrivateKeyInfoFactory.CreatePrivateKeyInfo(seedOnly).GetDerEncoded();
    }

    /// <summary>SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } } up to the key.</summary>
    private static readonly byte[] Ed25519Pkcs8Prefix = Convert.FromHexString("302e020100300506032b657004220420");

    /// <summary>The private key of <paramref name="pkcs8"/>, checked to be of <paramref name="spec"/>; null when it is not.</summary>
    public static AsymmetricKeyParameter? PrivateKey(KeySpecInfo spec, ReadOnlySpan<byte> pkcs8)
    {
        try
        {
            var key = PrivateKeyFactory.CreateKey(pkcs8.ToArray());
            return key.IsPrivate && Fits(spec, key) ? key : null;
        }
        catch (Exception e) when (IsMalformed(e)) { return null; }
    }

    /// <summary>Signs with an Ed25519 or ML-DSA private key; the service has checked the message kind and length.</summary>
    public static byte[] Sign(AsymmetricKeyParameter privateKey, SigningAlgorithm algorithm, SigningInput input)
    {
        switch (algorithm.Scheme)
        {
            case SignatureScheme.Ed25519ph:
            {
                // The DIGEST is the SHA-512 prehash PH(M) itself (RFC 8032 §5.1: Ed25519ph signs PH(M) with dom2(1, "")).
                var signature = new byte[Ed25519PrivateKeyParameters.SignatureSize];
                ((Ed25519PrivateKeyParameters)privateKey).Sign(Ed25519.Algorithm.Ed25519ph, [], input.Message.Span, signature);
                return signature;
            }
            case SignatureScheme.Ed25519:
            case SignatureScheme.MlDsa:
            {
                var signer = Signer(algorithm, privateKey);
                signer.Init(true, algorithm.Scheme == SignatureScheme.MlDsa ? new ParametersWithRandom(privateKey, Random) : privateKey);
                signer.BlockUpdate(input.Message.Span);
                return signer.GenerateSignature();
            }
            default: throw new InvalidOperationException($"{algorithm.Name} is not a BouncyCastle signing algorithm.");
        }
    }

    /// <summary>True when <paramref name="signature"/> is valid; a malformed key or signature is simply invalid.</summary>
    public static bool Verify(byte[] publicKey, SigningAlgorithm algorithm, SigningInput input, ReadOnlySpan<byte> signature)
    {
        try
        {
            var key = PublicKey(publicKey);
            if (algorithm.Scheme == SignatureScheme.Ed25519ph)
                return signature.Length == Ed25519PrivateKeyParameters.SignatureSize
                       && ((Ed25519PublicKeyParameters)key).Verify(Ed25519.Algorithm.Ed25519ph, [], input.Message.Span, signature);
            var verifier = Signer(algorithm, key);
            verifier.Init(false, key);
            verifier.BlockUpdate(input.Message.Span);
            return verifier.VerifySignature(signature.ToArray());
        }
        catch (Exception e) when (IsMalformed(e) || e is InvalidCastException) { return false; }
    }

    /// <summary>ML-KEM.Encaps (FIPS 203 §7.2) under the key's public key: the 32-byte secret and its encapsulation.</summary>
    public static (byte[] Secret, byte[] Ciphertext) Encapsulate(KeySpecInfo spec, byte[] publicKey)
    {
        var encapsulator = new MLKemEncapsulator(MlKem(spec));
        encapsulator.Init(new ParametersWithRandom(PublicKey(publicKey), Random));
        var ciphertext = new byte[encapsulator.EncapsulationLength];
        var secret = new byte[encapsulator.SecretLength];
        encapsulator.Encapsulate(ciphertext, secret);
        return (secret, ciphertext);
    }

    /// <summary>ML-KEM.Decaps (FIPS 203 §7.3); null for a ciphertext of the wrong length. A wrong ciphertext of the right
    /// length gives an unrelated secret (implicit rejection), as the standard requires.</summary>
    public static byte[]? Decapsulate(AsymmetricKeyParameter privateKey, KeySpecInfo spec, ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length != EncapsulationLength(spec)) return null;
        var decapsulator = new MLKemDecapsulator(MlKem(spec));
        decapsulator.Init(privateKey);
        var secret = new byte[decapsulator.SecretLength];
        decapsulator.Decapsulate(ciphertext, secret);
        return secret;
    }

    /// <summary>The length of an ML-KEM spec's encapsulation (768, 1088, 1568 bytes).</summary>
    public static int EncapsulationLength(KeySpecInfo spec) => MlKem(spec).ParameterSet.EncapsulationLength;

    private static ISigner Signer(SigningAlgorithm algorithm, AsymmetricKeyParameter key) => algorithm.Scheme switch
    {
        SignatureScheme.Ed25519 => new Ed25519Signer(),
        SignatureScheme.MlDsa => new MLDsaSigner(((MLDsaKeyParameters)key).Parameters, deterministic: false),
        _ => throw new InvalidOperationException($"{algorithm.Name} has no BouncyCastle signer."),
    };

    private static bool Fits(KeySpecInfo spec, AsymmetricKeyParameter key) => (spec.Family, key) switch
    {
        (KeyFamily.Edwards, Ed25519PrivateKeyParameters) => true,
        (KeyFamily.MlDsa, MLDsaPrivateKeyParameters dsa) => dsa.Parameters == MlDsa(spec),
        (KeyFamily.MlKem, MLKemPrivateKeyParameters kem) => kem.Parameters == MlKem(spec),
        _ => false,
    };

    private static MLDsaParameters MlDsa(KeySpecInfo spec) => spec.Bits switch
    {
        44 => MLDsaParameters.ml_dsa_44,
        65 => MLDsaParameters.ml_dsa_65,
        87 => MLDsaParameters.ml_dsa_87,
        _ => throw new InvalidOperationException($"{spec.Name} is not an ML-DSA spec."),
    };

    private static MLKemParameters MlKem(KeySpecInfo spec) => spec.Bits switch
    {
        512 => MLKemParameters.ml_kem_512,
        768 => MLKemParameters.ml_kem_768,
        1024 => MLKemParameters.ml_kem_1024,
        _ => throw new InvalidOperationException($"{spec.Name} is not an ML-KEM spec."),
    };

    /// <summary>What BouncyCastle throws for bytes that are not a key of the kind asked for.</summary>
    private static bool IsMalformed(Exception e) =>
        e is ArgumentException or InvalidOperationException or IOException or SecurityUtilityException or CryptographicException
            or Org.BouncyCastle.Asn1.Asn1Exception or FormatException or InvalidCastException or NotSupportedException
            or IndexOutOfRangeException or OverflowException;
}
