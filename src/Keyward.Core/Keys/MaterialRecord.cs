namespace Keyward.Core.Keys;

/// <summary>
/// One version of a key's material. <see cref="Wrapped"/> is the material sealed by the key
/// store (for the software store: AES-256-GCM under the root key, bound to key and material id):
/// 32 random bytes for a symmetric key, the HMAC key for an HMAC key, the PKCS#8 DER private key
/// for an asymmetric key. <see cref="PublicKey"/> is the DER SubjectPublicKeyInfo of an
/// asymmetric key (not secret, stored in the clear), else null.
/// Material versions are never updated, only created and, with their key, deleted.
/// </summary>
internal sealed record MaterialRecord(string KeyId, string MaterialId, byte[] Wrapped, DateTimeOffset CreatedAt, byte[]? PublicKey = null);
