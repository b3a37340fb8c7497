using System.Security.Cryptography;
using Keyward.Core.Keys;
using Keyward.Core.Seal;

namespace Keyward.Core.Import;

/// <summary>
/// Wrapping key pairs for BYOK (the KMS side of "Importing key material"): creates them, keeps
/// the private half only wrapped under the root key, and opens customer material wrapped under
/// the public half with one of AWS's wrapping algorithms:
/// <list type="bullet">
/// <item>RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256: the material itself, RSAES-OAEP (MGF1 with the same hash).</item>
/// <item>RSA_AES_KEY_WRAP_SHA_1 / _SHA_256: a 256-bit AES key under RSAES-OAEP (one modulus long),
/// followed by the material under that key with AES key wrap with padding (RFC 5649).</item>
/// </list>
/// </summary>
internal sealed class ImportWrappingKeys(RootKeyBarrier barrier)
{
    internal const string Purpose = "import-wrapping-key";

    /// <summary>How long a public key and its import token stay valid.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    public static int ModulusBits(string wrappingKeySpec) => wrappingKeySpec switch
    {
        "RSA_3072" => 3072,
        "RSA_4096" => 4096,
        _ => 2048,
    };

    public static bool IsKeyWrap(string algorithm) => algorithm.StartsWith("RSA_AES_KEY_WRAP_", StringComparison.Ordinal);

    /// <summary>
    /// Why <paramref name="algorithm"/> with a <paramref name="wrappingKeySpec"/> key cannot carry
    /// material of <paramref name="spec"/>, or null when it can: RSA private keys are too long for
    /// RSAES-OAEP and need RSA_AES_KEY_WRAP, and so is a P-521 key under a 2048-bit wrapping key.
    /// </summary>
    public static string? Unfit(KeySpecInfo spec, string wrappingKeySpec, string algorithm)
    {
        if (IsKeyWrap(algorithm)) return null;
        if (spec.Family == KeyFamily.Rsa)
            return $"Wrapping algorithm {algorithm} cannot wrap {spec.Name} key material. Use RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.";
        if (spec.Name == "ECC_NIST_P521" && wrappingKeySpec == "RSA_2048")
            return $"Wrapping algorithm {algorithm} with wrapping key spec RSA_2048 cannot wrap ECC_NIST_P521 key material. Use an RSA_AES_KEY_WRAP algorithm or a longer wrapping key.";
        return null;
    }

    /// <summary>
    /// A new wrapping key pair for the key stored as <paramref name="keyId"/> (its storage id): the record to store, the
    /// token (which names the key id clients see) and the DER public key to hand out.
    /// </summary>
    public (ImportParametersRecord Record, byte[] Token, byte[] PublicKey) Create(string keyId, string wrappingKeySpec, string algorithm, DateTimeOffset now)
    {
        var (tokenId, token) = ImportToken.New(Keys.KeyIds.PublicId(keyId));
        using var rsa = RSA.Create(ModulusBits(wrappingKeySpec));
        var pkcs8 = rsa.ExportPkcs8PrivateKey();
        try
        {
            var wrapped = barrier.Wrap(pkcs8, Purpose, Identity(keyId, tokenId));
            return (new ImportParametersRecord(tokenId, keyId, wrappingKeySpec, algorithm, wrapped, now + Lifetime), token, rsa.ExportSubjectPublicKeyInfo());
        }
        finally { CryptographicOperations.ZeroMemory(pkcs8); }
    }

    /// <summary>
    /// The customer's material in the clear (the caller zeroes it), or null if
    /// <paramref name="encrypted"/> does not open under the record's key and algorithm.
    /// </summary>
    public byte[]? Unwrap(ImportParametersRecord record, ReadOnlySpan<byte> encrypted)
    {
        using var rsa = OpenPrivateKey(record);
        var padding = record.WrappingAlgorithm.EndsWith("_SHA_1", StringComparison.Ordinal) ? RSAEncryptionPadding.OaepSHA1 : RSAEncryptionPadding.OaepSHA256;
        try
        {
            if (!IsKeyWrap(record.WrappingAlgorithm)) return rsa.Decrypt(encrypted.ToArray(), padding);
            var modulus = rsa.KeySize / 8;
            if (encrypted.Length <= modulus) return null;
            var aesKey = rsa.Decrypt(encrypted[..modulus].ToArray(), padding);
            try
            {
                if (aesKey.Length != 32) return null;
                using var aes = Aes.Create();
                aes.Key = aesKey;
                return aes.DecryptKeyWrapPadded(encrypted[modulus..]);
            }
            finally { CryptographicOperations.ZeroMemory(aesKey); }
        }
        catch (Exception e) when (Crypto.MalformedInput.Is(e))
        {
            return null;
        }
    }

    private RSA OpenPrivateKey(ImportParametersRecord record)
    {
        var size = RootKeyBarrier.UnwrappedSize(record.WrappedPrivateKey);
        var pkcs8 = GC.AllocateArray<byte>(size, pinned: true);
        try
        {
            if (size == 0 || !barrier.TryUnwrap(record.WrappedPrivateKey, Purpose, Identity(record.KeyId, record.TokenId), pkcs8))
                throw new CryptographicException("An import wrapping key failed barrier authentication.");
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return rsa;
        }
        finally { CryptographicOperations.ZeroMemory(pkcs8); }
    }

    internal static string Identity(string keyId, string tokenId) => $"{keyId}/{tokenId}";
}
