namespace Keyward.Core.KeyStores;

/// <summary>The few ways a key store can fail; the service maps each to one KMS error.</summary>
public enum KeyStoreFailure
{
    NotFound,
    Unavailable,
    InvalidCiphertext,
    Timeout,
    Internal,
    /// <summary>The store does not hold keys of this spec or usage.</summary>
    Unsupported,
    /// <summary>Imported key material does not fit the key's spec.</summary>
    InvalidMaterial,
}
