namespace Keyward.Core.Keys;

/// <summary>
/// One version of a key's material. <see cref="Wrapped"/> is the material sealed by the key
/// store (for the software store: AES-256-GCM under the root key, bound to key and material id).
/// Material versions are never updated, only created and, with their key, deleted.
/// </summary>
internal sealed record MaterialRecord(string KeyId, string MaterialId, byte[] Wrapped, DateTimeOffset CreatedAt);
