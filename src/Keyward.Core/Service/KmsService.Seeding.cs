using Keyward.Core.Keys;
using Keyward.Core.Storage;
using Keyward.Protocol.Errors;

namespace Keyward.Core.Service;

/// <summary>A key a seed file asks for: its id, spec and usage, and the material it has (oldest first), if given.</summary>
public sealed record KeySeed(string KeyId, string KeySpec, string KeyUsage, string Origin, string Description,
    IReadOnlyList<byte[]> Materials, DateTimeOffset? NextRotation, IReadOnlyList<TagRecord>? Tags = null, string? Policy = null)
{
    /// <summary>Automatic rotation's period; with <see cref="NextRotation"/> alone it is the default, 365.</summary>
    public int? RotationPeriodInDays { get; init; }

    /// <summary>False makes the key Disabled (a key with material; a PendingImport key stays PendingImport).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Alias names (with alias/) the key's entry gives it.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];
}

/// <summary>An entry of a seed file that contradicts what the database holds (it names the entry and the difference).</summary>
public sealed class SeedConflictException(string message) : Exception(message);

/// <summary>
/// Seeding (docs/operations.md, "Seeding"): keys with fixed ids, given material and aliases, made at start-up so a test or
/// development environment is the same every time. Idempotent: an entry already there as the file says is left alone;
/// one that differs is a <see cref="SeedConflictException"/>, and nothing of the file is written before every entry
/// has been checked.
/// </summary>
public sealed partial class KmsService
{
    /// <summary>Makes what is missing; returns how many keys and aliases were created and how many were already there.</summary>
    public async Task<(int Created, int Unchanged)> SeedAsync(string accountId, IReadOnlyList<KeySeed> keys,
        IReadOnlyList<(string AliasName, string TargetKeyId)> aliases, CancellationToken ct)
    {
        var now = Now();
        var toCreate = new List<(KeyRecord Key, List<MaterialRecord> Materials, List<TagRecord> Tags)>();
        var unchanged = 0;
        foreach (var seed in keys)
        {
            var id = seed.KeyId.ToLowerInvariant();
            // Seeded keys are single-Region keys of the home Region.
            if (KeyIds.IsMultiRegion(id)) throw new SeedConflictException($"key {seed.KeyId}: Multi-Region keys cannot be seeded");
            var spec = KeySpecInfo.Find(seed.KeySpec) ?? throw new SeedConflictException($"key {seed.KeyId}: unknown key spec {seed.KeySpec}");
            List<MaterialRecord> materials;
            try { materials = [.. seed.Materials.Select(m => keyStore.ImportMaterial(id, spec, m, now))]; }
            catch (KeyStores.KeyStoreException) { throw new SeedConflictException($"key {seed.KeyId}: its material does not fit key spec {spec.Name}"); }
            if (await storage.GetKeyAsync(id, ct) is { } existing)
            {
                var differs = existing.AccountId != accountId ? $"it belongs to account {existing.AccountId}"
                    : existing.KeySpec != spec.Name ? $"its key spec is {existing.KeySpec}, the seed says {spec.Name}"
                    : existing.KeyUsage != seed.KeyUsage ? $"its key usage is {existing.KeyUsage}, the seed says {seed.KeyUsage}"
                    : existing.Origin != seed.Origin ? $"its origin is {existing.Origin}, the seed says {seed.Origin}"
                    : materials.Count > 0 && existing.CurrentMaterialId != materials[^1].MaterialId ? "its current material is not the seed's"
                    : null;
                if (differs is not null) throw new SeedConflictException($"key {seed.KeyId} exists and differs from the seed: {differs}");
                unchanged++;
                continue;
            }
            if (materials.Count == 0 && seed.Origin != Origins.External) materials.Add(keyStore.CreateMaterial(id, spec, now));
            // Later backing keys are rotations of the first (local-kms's meaning); the last is current.
            for (var i = 1; i < materials.Count; i++) materials[i] = materials[i] with { RotationType = "AUTOMATIC", RotationDate = now };
            if (seed.Origin == Origins.External)
                for (var i = 0; i < materials.Count; i++) materials[i] = materials[i] with { ExpirationModel = ExpiresNever };
            var imported = seed.Origin == Origins.External && materials.Count > 0;
            List<TagRecord> tags;
            try
            {
                tags = CheckTags([.. (seed.Tags ?? []).Select(t => new Protocol.Model.Tag { TagKey = t.TagKey, TagValue = t.TagValue })], existing: []);
                // A seeded policy is the file's to choose (no lockout check: no caller), but it must be a key policy.
                if (seed.Policy is not null) Policies.PolicyDocument.Parse(seed.Policy, keyPolicy: true);
            }
            catch (KmsException e) { throw new SeedConflictException($"key {seed.KeyId}: {e.Message}"); }
            toCreate.Add((new KeyRecord
            {
                KeyId = id,
                AccountId = accountId,
                Region = options.Region,
                CreationDate = now,
                Description = seed.Description,
                KeySpec = spec.Name,
                KeyUsage = seed.KeyUsage,
                Origin = seed.Origin,
                State = materials.Count == 0 ? KeyState.PendingImport : seed.Enabled ? KeyState.Enabled : KeyState.Disabled,
                CurrentMaterialId = materials.Count == 0 ? null : materials[^1].MaterialId,
                Policy = seed.Policy ?? KeyPolicies.Default(options.Partition, accountId),
                RotationPeriodInDays = seed.RotationPeriodInDays ?? (seed.NextRotation is null ? null : DefaultRotationPeriodInDays),
                NextRotationDate = seed.NextRotation ?? (seed.RotationPeriodInDays is { } days ? now.AddDays(days) : null),
                ExpirationModel = imported ? ExpiresNever : null,
                Version = 1,
            }, materials, tags));
        }
        var newAliases = new List<AliasRecord>();
        foreach (var (name, target) in aliases)
        {
            try { CheckAliasName(name); }
            catch (KmsException e) { throw new SeedConflictException($"alias {name}: {e.Message}"); }
            var targetId = target.ToLowerInvariant();
            if (!keys.Any(k => k.KeyId.Equals(targetId, StringComparison.OrdinalIgnoreCase)) && await storage.GetKeyAsync(targetId, ct) is null)
                throw new SeedConflictException($"alias {name}: its target {target} is neither in the seed nor in the database");
            if (await storage.GetAliasAsync(accountId, options.Region, name, ct) is { } alias)
            {
                if (alias.TargetKeyId != targetId)
                    throw new SeedConflictException($"alias {name} exists and points at {alias.TargetKeyId}, the seed says {target}");
                unchanged++;
                continue;
            }
            newAliases.Add(new AliasRecord(accountId, name, targetId, now, now) { Region = options.Region });
        }
        // Every entry is checked: now the writes. The first material goes in with the key, the rest as later versions.
        foreach (var (key, materials, tags) in toCreate)
        {
            await storage.CreateKeyAsync(key with { CurrentMaterialId = materials.Count == 0 ? null : materials[0].MaterialId },
                materials.Count == 0 ? null : materials[0], tags, ct);
            if (materials.Count > 1 && await storage.UpdateKeyAsync(key, materials[1..], [], ct) is null)
                throw new StorageConflictException($"key {key.KeyId} changed while it was seeded");
        }
        foreach (var alias in newAliases) await storage.CreateAliasAsync(alias, ct);
        return (toCreate.Count + newAliases.Count, unchanged);
    }
}
