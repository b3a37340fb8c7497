using System.Security.Cryptography;
using System.Text;
using Keyward.Core.Keys;

namespace Keyward.Core.Crypto;

/// <summary>
/// What customer key material must look like (AWS's import requirements) and the id it gets.
/// Symmetric: exactly 256 bits. HMAC: 28–64 bytes (HMAC_224), 32–64 (HMAC_256), 48–128
/// (HMAC_384), 64–128 (HMAC_512). RSA and ECC: a DER PKCS#8 private key of the spec's size or
/// curve whose public half matches its private half.
/// </summary>
internal static class ImportedMaterial
{
    private const string IdContext = "keyward/imported-material-id/v1\n";

    /// <summary>
    /// Checks <paramref name="material"/> against <paramref name="spec"/> and returns it in the form
    /// the key store keeps (asymmetric keys re-encoded as the BCL's PKCS#8, with their SPKI). False
    /// for material that does not fit. The caller zeroes <paramref name="secret"/>.
    /// </summary>
    public static bool TryCanonicalize(KeySpecInfo spec, ReadOnlySpan<byte> material, out byte[] secret, out byte[]? publicKey)
    {
        secret = [];
        publicKey = null;
        switch (spec.Family)
        {
            case KeyFamily.Symmetric:
                if (material.Length != 32) return false;
                secret = material.ToArray();
                return true;
            case KeyFamily.Hmac:
                var (min, max) = HmacLength(spec.Bits);
                if (material.Length < min || material.Length > max) return false;
                secret = material.ToArray();
                return true;
            case KeyFamily.Rsa:
            case KeyFamily.Ecc:
                return TryAsymmetric(spec, material, out secret, out publicKey);
            default:
                return false;
        }
    }

    public static (int Min, int Max) HmacLength(int bits) => bits switch
    {
        224 => (28, 64),
        256 => (32, 64),
        384 => (48, 128),
        _ => (64, 128),
    };

    /// <summary>
    /// The KeyMaterialId of imported material: HMAC-SHA256 keyed by the material (by the public key
    /// for a key pair) over the key id. The same material in the same key always gets the same id,
    /// which is how a re-import finds the version it restores; the id reveals nothing of the material.
    /// </summary>
    public static string MaterialId(string keyId, ReadOnlySpan<byte> identityKey)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(identityKey, Encoding.UTF8.GetBytes(IdContext + keyId), mac);
        return Convert.ToHexStringLower(mac);
    }

    private static bool TryAsymmetric(KeySpecInfo spec, ReadOnlySpan<byte> material, out byte[] secret, out byte[]? publicKey)
    {
        secret = [];
        publicKey = null;
        using AsymmetricAlgorithm key = spec.Family == KeyFamily.Rsa ? RSA.Create() : ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(material, out var read);
            if (read != material.Length || !Fits(spec, key) || !HalvesMatch(key)) return false;
            secret = key.ExportPkcs8PrivateKey();
            publicKey = key.ExportSubjectPublicKeyInfo();
            return true;
        }
        catch (Exception e) when (MalformedInput.Is(e))
        {
            return false;
        }
    }

    private static bool Fits(KeySpecInfo spec, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => rsa.KeySize == spec.Bits,
        ECDsa ec => ec.ExportParameters(false).Curve is { IsNamed: true } curve && curve.Oid.Value == spec.Curve.Oid.Value,
        _ => false,
    };

    /// <summary>A PKCS#8 can carry a public key (or RSA modulus) that is not the private key's: sign and verify once.</summary>
    private static bool HalvesMatch(AsymmetricAlgorithm key)
    {
        Span<byte> digest = stackalloc byte[32];
        RandomNumberGenerator.Fill(digest);
        return key switch
        {
            RSA rsa => rsa.VerifyHash(digest, rsa.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pss), HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
            ECDsa ec => ec.VerifyHash(digest, ec.SignHash(digest)),
            _ => false,
        };
    }
}
