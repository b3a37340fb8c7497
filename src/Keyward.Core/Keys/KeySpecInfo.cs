using System.Security.Cryptography;

namespace Keyward.Core.Keys;

/// <summary>
/// What a key spec is and what AWS lets it do: the usages it allows and, per usage, the
/// algorithm lists DescribeKey and GetPublicKey report (AWS's order). Specs Keyward cannot
/// implement properly on this platform (SM2, ML-DSA, Ed25519) have no entry.
/// </summary>
internal sealed record KeySpecInfo(string Name, KeyFamily Family, int Bits, string[] Usages)
{
    public const string EncryptDecrypt = "ENCRYPT_DECRYPT";
    public const string SignVerify = "SIGN_VERIFY";
    public const string GenerateVerifyMac = "GENERATE_VERIFY_MAC";
    public const string KeyAgreement = "KEY_AGREEMENT";

    private static readonly string[] RsaUsages = [EncryptDecrypt, SignVerify];
    private static readonly string[] NistUsages = [SignVerify, KeyAgreement];

    public static KeySpecInfo? Find(string spec) => spec switch
    {
        "SYMMETRIC_DEFAULT" => Symmetric,
        "RSA_2048" => Rsa2048,
        "RSA_3072" => Rsa3072,
        "RSA_4096" => Rsa4096,
        "ECC_NIST_P256" => P256,
        "ECC_NIST_P384" => P384,
        "ECC_NIST_P521" => P521,
        "ECC_SECG_P256K1" => P256K1,
        "HMAC_224" => Hmac224,
        "HMAC_256" => Hmac256,
        "HMAC_384" => Hmac384,
        "HMAC_512" => Hmac512,
        _ => null,
    };

    private static readonly KeySpecInfo Symmetric = new("SYMMETRIC_DEFAULT", KeyFamily.Symmetric, 256, [EncryptDecrypt]);
    private static readonly KeySpecInfo Rsa2048 = new("RSA_2048", KeyFamily.Rsa, 2048, RsaUsages);
    private static readonly KeySpecInfo Rsa3072 = new("RSA_3072", KeyFamily.Rsa, 3072, RsaUsages);
    private static readonly KeySpecInfo Rsa4096 = new("RSA_4096", KeyFamily.Rsa, 4096, RsaUsages);
    private static readonly KeySpecInfo P256 = new("ECC_NIST_P256", KeyFamily.Ecc, 256, NistUsages);
    private static readonly KeySpecInfo P384 = new("ECC_NIST_P384", KeyFamily.Ecc, 384, NistUsages);
    private static readonly KeySpecInfo P521 = new("ECC_NIST_P521", KeyFamily.Ecc, 521, NistUsages);
    private static readonly KeySpecInfo P256K1 = new("ECC_SECG_P256K1", KeyFamily.Ecc, 256, [SignVerify]);
    private static readonly KeySpecInfo Hmac224 = new("HMAC_224", KeyFamily.Hmac, 224, [GenerateVerifyMac]);
    private static readonly KeySpecInfo Hmac256 = new("HMAC_256", KeyFamily.Hmac, 256, [GenerateVerifyMac]);
    private static readonly KeySpecInfo Hmac384 = new("HMAC_384", KeyFamily.Hmac, 384, [GenerateVerifyMac]);
    private static readonly KeySpecInfo Hmac512 = new("HMAC_512", KeyFamily.Hmac, 512, [GenerateVerifyMac]);

    public bool IsAsymmetric => Family is KeyFamily.Rsa or KeyFamily.Ecc;

    /// <summary>The usage a key gets when CreateKey names none (only symmetric keys have one).</summary>
    public string? DefaultUsage => Family == KeyFamily.Symmetric ? EncryptDecrypt : null;

    public bool Allows(string usage) => Array.IndexOf(Usages, usage) >= 0;

    /// <summary>The named curve of an ECC spec.</summary>
    public ECCurve Curve => Name switch
    {
        "ECC_NIST_P256" => ECCurve.NamedCurves.nistP256,
        "ECC_NIST_P384" => ECCurve.NamedCurves.nistP384,
        "ECC_NIST_P521" => ECCurve.NamedCurves.nistP521,
        // secp256k1 by OID: OpenSSL (the BCL's provider on Linux) implements it.
        "ECC_SECG_P256K1" => ECCurve.CreateFromValue("1.3.132.0.10"),
        _ => throw new InvalidOperationException($"{Name} is not an elliptic-curve spec."),
    };

    /// <summary>The HMAC hash of an HMAC spec; its output length is also the generated key's length.</summary>
    public HashAlgorithmName MacHash => Bits switch
    {
        224 => new HashAlgorithmName("SHA224"),
        256 => HashAlgorithmName.SHA256,
        384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    public List<string>? EncryptionAlgorithms(string usage) => usage != EncryptDecrypt ? null
        : Family == KeyFamily.Symmetric ? ["SYMMETRIC_DEFAULT"] : ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"];

    public List<string>? SigningAlgorithms(string usage) => usage != SignVerify ? null : Family switch
    {
        KeyFamily.Rsa =>
        [
            "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
            "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
        ],
        KeyFamily.Ecc => [Bits switch { 384 => "ECDSA_SHA_384", 521 => "ECDSA_SHA_512", _ => "ECDSA_SHA_256" }],
        _ => null,
    };

    public List<string>? MacAlgorithms(string usage) => usage != GenerateVerifyMac ? null : [$"HMAC_SHA_{Bits}"];

    public List<string>? KeyAgreementAlgorithms(string usage) => usage != KeyAgreement ? null : ["ECDH"];
}
