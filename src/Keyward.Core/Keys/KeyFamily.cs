namespace Keyward.Core.Keys;

/// <summary>The kind of material behind a key spec.</summary>
public enum KeyFamily
{
    Symmetric,
    Rsa,
    Ecc,
    Hmac,

    /// <summary>Ed25519 (ECC_NIST_EDWARDS25519), by BouncyCastle: the BCL has no EdDSA.</summary>
    Edwards,

    /// <summary>ML-DSA (FIPS 204), by BouncyCastle: the BCL's needs OpenSSL 3.5.</summary>
    MlDsa,

    /// <summary>ML-KEM (FIPS 203), by BouncyCastle, for the same reason.</summary>
    MlKem,
}
