namespace Keyward.Core.Keys;

/// <summary>
/// One version of a key's material. <see cref="Wrapped"/> is the material sealed by the key
/// store (for the software store: AES-256-GCM under the root key, bound to key and material id):
/// 32 bytes for a symmetric key, the HMAC key for an HMAC key, the PKCS#8 DER private key
/// for an asymmetric key. <see cref="PublicKey"/> is the DER SubjectPublicKeyInfo of an
/// asymmetric key (not secret, stored in the clear), else null.
/// A version's secret never changes: generated material has a random id, imported material an id
/// derived from the material itself (so re-importing the same material restores the same version).
/// Only imported material loses its secret (deleted or expired: <see cref="Wrapped"/> is null)
/// and gets it back; a version goes away only with its key, or when it was pending rotation.
/// </summary>
public sealed record MaterialRecord(string KeyId, string MaterialId, byte[]? Wrapped, DateTimeOffset CreatedAt, byte[]? PublicKey = null)
{
    /// <summary>1 for the key's first material, then in order of creation; 0 until stored (storage assigns it).</summary>
    public int Sequence { get; init; }

    /// <summary>AUTOMATIC or ON_DEMAND for material a rotation made current; null for the first and for pending material.</summary>
    public string? RotationType { get; init; }
    public DateTimeOffset? RotationDate { get; init; }

    /// <summary>Imported (ImportType NEW_KEY_MATERIAL) and waiting for RotateKeyOnDemand to make it current.</summary>
    public bool PendingRotation { get; init; }

    // Imported material only.
    public string? ExpirationModel { get; init; }
    public DateTimeOffset? ValidTo { get; init; }
    public string? Description { get; init; }

    /// <summary>False once imported material was deleted or has expired (PENDING_IMPORT).</summary>
    public bool HasSecret => Wrapped is not null;
}
