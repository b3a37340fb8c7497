namespace Keyward.Protocol.Validation;

/// <summary>Model constraints shared by several operations (botocore's KMS service model).</summary>
internal static class Constraints
{
    public const int KeyIdMax = 2048;

    /// <summary>GrantOperation values of the 2014-11-01 model.</summary>
    public static readonly string[] GrantOperations =
    [
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify",
        "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
        "GenerateMac", "VerifyMac", "DeriveSharedSecret", "Encapsulate", "Decapsulate",
    ];
    public const int PlaintextMax = 4096;
    public const int CiphertextMax = 6144;
    public const int DescriptionMax = 8192;
    public const int PolicyMax = 131072;
    public const int GrantTokensMax = 10;
    public const int GrantTokenMax = 8192;
    public const int AliasNameMax = 256;
    public const int TagKeyMax = 128;
    public const int TagValueMax = 256;
    public const int NumberOfBytesMax = 1024;
    public const int LimitMax = 1000;
    public const int MarkerMax = 1024;

    public static readonly string[] KeySpecs =
    [
        "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
        "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65",
        "ML_DSA_87", "ECC_NIST_EDWARDS25519", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024",
    ];

    public static readonly string[] KeyUsages =
        ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "ENCAPSULATE_DECAPSULATE"];
    public static readonly string[] EncapsulationAlgorithms = ["ML_KEM"];
    public static readonly string[] Origins = ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];
    public static readonly string[] EncryptionAlgorithms = ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"];
    public static readonly string[] DataKeySpecs = ["AES_256", "AES_128"];
    public const int PublicKeyMax = 8192;
    public const int MacMax = 6144;

    public static readonly string[] SigningAlgorithms =
    [
        "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256",
        "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512", "ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512",
        "SM2DSA", "ML_DSA_SHAKE_256", "ED25519_SHA_512", "ED25519_PH_SHA_512",
    ];

    public static readonly string[] MessageTypes = ["RAW", "DIGEST", "EXTERNAL_MU"];
    public static readonly string[] MacAlgorithms = ["HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"];
    public static readonly string[] KeyAgreementAlgorithms = ["ECDH"];

    public const int RotationPeriodMin = 90;
    public const int RotationPeriodMax = 2560;
    public static readonly string[] IncludeKeyMaterial = ["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"];
    public static readonly string[] WrappingAlgorithms =
        ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256", "SM2PKE"];
    public static readonly string[] WrappingKeySpecs = ["RSA_2048", "RSA_3072", "RSA_4096", "SM2"];
    public static readonly string[] ExpirationModels = ["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"];
    public static readonly string[] ImportTypes = ["NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL"];

    /// <summary>Model pattern of KeyMaterialDescription: <c>^[a-zA-Z0-9:/_\s.-]+$</c>.</summary>
    public const string MaterialDescriptionPattern = "^[a-zA-Z0-9:/_\\s.-]+$";

    public static bool IsMaterialDescription(string s)
    {
        if (s.Length == 0) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || char.IsWhiteSpace(c) || c is ':' or '/' or '_' or '.' or '-')) return false;
        return true;
    }

    public static readonly string[] DataKeyPairSpecs =
    [
        "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2",
        "ECC_NIST_EDWARDS25519", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024",
    ];

    /// <summary>Model pattern of the printable-text members (Description, Policy).</summary>
    public const string PrintablePattern = "^[\\u0009\\u000A\\u000D\\u0020-\\u00FF]*$";

    public static bool IsPrintable(string s)
    {
        foreach (var c in s)
        {
            if (c is '\t' or '\n' or '\r') continue;
            if (c < ' ' || c > '\u00FF') return false;
        }
        return true;
    }

    /// <summary>Model pattern of AliasName: <c>^[a-zA-Z0-9:/_-]+$</c>.</summary>
    public const string AliasPattern = "^[a-zA-Z0-9:/_-]+$";

    public static bool IsAliasText(string s)
    {
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is ':' or '/' or '_' or '-')) return false;
        return true;
    }
}
