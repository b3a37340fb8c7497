using System.Security.Cryptography;

namespace Keyward.Core.Keys;

/// <summary>
/// What a key spec is and what AWS lets it do: the usages it allows and, per usage, the
/// algorithm lists DescribeKey and GetPublicKey report (AWS's order). SM2 (China Regions only) has
/// no entry. For ML-DSA <see cref="Bits"/> is the parameter set (44, 65, 87), for ML-KEM its size
/// (512, 768, 1024).
/// </summary>
public sealed record KeySpecInfo(string Name, KeyFamily Family, int Bits, string[] Usages)
{
    public const string EncryptDecrypt = "ENCRYPT_DECRYPT";
    public const string SignVerify = "SIGN_VERIFY";
    public const string GenerateVerifyMac = "GENERATE_VERIFY_MAC";
    public const string KeyAgreement = "KEY_AGREEMENT";
    public const string EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE";

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
        "ECC_NIST_EDWARDS25519" => Ed25519,
        "ML_DSA_44" => MlDsa44,
        "ML_DSA_65" => MlDsa65,
        "ML_DSA_87" => MlDsa87,
        "ML_KEM_512" => MlKem512,
        "ML_KEM_768" => MlKem768,
        "ML_KEM_1024" => MlKem1024,
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
    private static readonly KeySpecInfo Ed25519 = new("ECC_NIST_EDWARDS25519", KeyFamily.Edwards, 256, [SignVerify]);
    private static readonly KeySpecInfo MlDsa44 = new("ML_DSA_44", KeyFamily.MlDsa, 44, [SignVerify]);
    private static readonly KeySpecInfo MlDsa65 = new("ML_DSA_65", KeyFamily.MlDsa, 65, [SignVerify]);
    private static readonly KeySpecInfo MlDsa87 = new("ML_DSA_87", KeyFamily.MlDsa, 87, [SignVerify]);
    private static readonly KeySpecInfo MlKem512 = new("ML_KEM_512", KeyFamily.MlKem, 512, [EncapsulateDecapsulate]);
    private static readonly KeySpecInfo MlKem768 = new("ML_KEM_768", KeyFamily.MlKem, 768, [EncapsulateDecapsulate]);
    private static readonly KeySpecInfo MlKem1024 = new("ML_KEM_1024", KeyFamily.MlKem, 1024, [EncapsulateDecapsulate]);

    public bool IsAsymmetric => Family is KeyFamily.Rsa or KeyFamily.Ecc or KeyFamily.Edwards or KeyFamily.MlDsa or KeyFamily.MlKem;

    /// <summary>Key pairs the BCL here cannot make or use (Ed25519, ML-DSA, ML-KEM): BouncyCastle does them.</summary>
    public bool IsBouncyCastle => Family is KeyFamily.Edwards or KeyFamily.MlDsa or KeyFamily.MlKem;

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

    // The per-usage lists of AWS's algorithms, shared (never mutated) so checks allocate nothing.
    private static readonly string[] SymmetricEncryption = ["SYMMETRIC_DEFAULT"];
    private static readonly string[] RsaEncryption = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"];
    private static readonly string[] RsaSigning =
    [
        "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
        "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
    ];
    private static readonly string[] Ecdsa256 = ["ECDSA_SHA_256"];
    private static readonly string[] Ecdsa384 = ["ECDSA_SHA_384"];
    private static readonly string[] Ecdsa512 = ["ECDSA_SHA_512"];
    private static readonly string[] Ecdh = ["ECDH"];
    private static readonly string[] Mac224 = ["HMAC_SHA_224"];
    private static readonly string[] Mac256 = ["HMAC_SHA_256"];
    private static readonly string[] Mac384 = ["HMAC_SHA_384"];
    private static readonly string[] Mac512 = ["HMAC_SHA_512"];
    private static readonly string[] EdDsa = ["ED25519_SHA_512", "ED25519_PH_SHA_512"];
    private static readonly string[] MlDsaSigning = ["ML_DSA_SHAKE_256"];
    private static readonly string[] MlKemEncapsulation = ["ML_KEM"];

    /// <summary>The algorithms a key of this spec and <paramref name="usage"/> supports (each usage has one kind).</summary>
    private string[]? Algorithms(string usage) => (usage, Family) switch
    {
        (EncryptDecrypt, KeyFamily.Symmetric) => SymmetricEncryption,
        (EncryptDecrypt, KeyFamily.Rsa) => RsaEncryption,
        (SignVerify, KeyFamily.Rsa) => RsaSigning,
        (SignVerify, KeyFamily.Ecc) => Bits switch { 384 => Ecdsa384, 521 => Ecdsa512, _ => Ecdsa256 },
        (KeyAgreement, KeyFamily.Ecc) => Ecdh,
        (GenerateVerifyMac, KeyFamily.Hmac) => Bits switch { 224 => Mac224, 256 => Mac256, 384 => Mac384, _ => Mac512 },
        (SignVerify, KeyFamily.Edwards) => EdDsa,
        (SignVerify, KeyFamily.MlDsa) => MlDsaSigning,
        (EncapsulateDecapsulate, KeyFamily.MlKem) => MlKemEncapsulation,
        _ => null,
    };

    /// <summary>Whether a key of this spec and <paramref name="usage"/> may use <paramref name="algorithm"/>.</summary>
    public bool Supports(string usage, string algorithm) => Algorithms(usage) is { } a && Array.IndexOf(a, algorithm) >= 0;

    // Fresh lists for responses (DTO members are mutable lists).
    public List<string>? EncryptionAlgorithms(string usage) => usage == EncryptDecrypt ? Copy(usage) : null;

    public List<string>? SigningAlgorithms(string usage) => usage == SignVerify ? Copy(usage) : null;

    public List<string>? MacAlgorithms(string usage) => usage == GenerateVerifyMac ? Copy(usage) : null;

    public List<string>? KeyAgreementAlgorithms(string usage) => usage == KeyAgreement ? Copy(usage) : null;

    public List<string>? EncapsulationAlgorithms(string usage) => usage == EncapsulateDecapsulate ? Copy(usage) : null;

    private List<string>? Copy(string usage) => Algorithms(usage) is { } a ? [.. a] : null;
}
