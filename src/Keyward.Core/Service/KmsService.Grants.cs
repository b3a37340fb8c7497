using System.Security.Cryptography;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Model;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

/// <summary>
/// Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant, and their use.
/// A grant lets its grantee perform its operations on its key when the key policy and identity
/// policies do not (an explicit Deny still wins), subject to its encryption context constraints.
/// Grants are strongly consistent here (one database), so a grant is usable at once, with or
/// without its grant token; a token that is not a Keyward grant token is InvalidGrantTokenException.
/// </summary>
public sealed partial class KmsService
{
    private const string GrantTokenPrefix = "kwgt1.";

    /// <summary>AWS's resource quota "grants per KMS key" (its documented default).</summary>
    public const int MaxGrantsPerKey = 50_000;

    // Operations that take an encryption context: the only ones grant constraints apply to (AWS).
    private static readonly HashSet<string> ContextOperations = new(StringComparer.Ordinal)
    {
        "Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
    };

    public async ValueTask<CreateGrantResponse> CreateGrantAsync(Caller caller, CreateGrantRequest request, CancellationToken ct)
    {
        var operations = request.Operations!.Distinct(StringComparer.Ordinal).ToList();
        if (operations.Count == 0) throw KmsException.Validation("Operations must name at least one grant operation.");
        // A grantee with the CreateGrant operation may pass on only what its own grant allows.
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct,
            grantCondition: g => operations.All(o => g.Operations.Contains(o, StringComparer.Ordinal)));
        RequireNotPendingDeletion(key);
        var constraints = request.Constraints;
        if (constraints?.EncryptionContextEquals is { } equals) CheckContext(equals, "constraints.encryptionContextEquals");
        if (constraints?.EncryptionContextSubset is { } subset) CheckContext(subset, "constraints.encryptionContextSubset");
        if (request.DryRun == true) throw Faults.DryRun();
        var name = request.Name ?? string.Empty;
        if (name.Length > 0)
        {
            // Name makes CreateGrant idempotent: the same grant again (so to the same grantee) returns the existing one.
            foreach (var existing in await GranteeGrantsAsync(key.StorageId, request.GranteePrincipal!, fresh: true, ct))
                if (existing.Name == name && SameGrant(existing, request, operations))
                    return new CreateGrantResponse { GrantId = existing.GrantId, GrantToken = NewGrantToken(existing.GrantId) };
        }
        // AWS's resource quota (grants per KMS key); counted by the database, as ListGrants pages by it.
        if (await storage.CountGrantsAsync(key.StorageId, null, ct) >= MaxGrantsPerKey)
            throw new KmsException(KmsErrorCode.LimitExceededException,
                $"{Arn(key)} has {MaxGrantsPerKey} grants, the most a key may have; retire or revoke grants it no longer needs.");
        var grant = new GrantRecord
        {
            GrantId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            KeyId = key.StorageId,
            Name = name,
            GranteePrincipal = request.GranteePrincipal!,
            RetiringPrincipal = request.RetiringPrincipal,
            IssuingAccount = Principal.RootArn(caller.AccountId),
            Operations = operations,
            EncryptionContextEquals = constraints?.EncryptionContextEquals,
            EncryptionContextSubset = constraints?.EncryptionContextSubset,
            CreationDate = Now(),
        };
        await storage.CreateGrantAsync(grant, ct);
        _cache.DropGrants(key.StorageId);
        return new CreateGrantResponse { GrantId = grant.GrantId, GrantToken = NewGrantToken(grant.GrantId) };
    }

    public async ValueTask<ListGrantsResponse> ListGrantsAsync(Caller caller, ListGrantsRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct);
        var limit = request.Limit ?? 50;
        // Filtered and paged by the database: one more row than the page says whether there is a next one.
        var rows = await storage.ListGrantsAsync(key.StorageId, Paging.DecodeMarker(request.Marker), limit + 1, request.GranteePrincipal, request.GrantId, ct);
        return GrantPage(rows, limit, _ => key.Region);
    }

    public async ValueTask<ListGrantsResponse> ListRetirableGrantsAsync(Caller caller, ListRetirableGrantsRequest request, CancellationToken ct)
    {
        AuthorizeAccount(caller);
        var limit = request.Limit ?? 50;
        var rows = await storage.ListRetirableGrantsAsync(request.RetiringPrincipal!, Paging.DecodeMarker(request.Marker), limit + 1, ct);
        // Grants are of keys, and a key is of one Region: a page lists those whose key is in the request's (so it may
        // hold fewer than Limit, and its marker still continues after the last grant read).
        var region = RegionOf(caller);
        var regions = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var g in rows.Take(limit))
            if (!regions.ContainsKey(g.KeyId)) regions[g.KeyId] = (await GetKeyAsync(g.KeyId, fresh: false, ct))?.Region;
        return GrantPage(rows, limit, g => regions.GetValueOrDefault(g.KeyId), region);
    }

    /// <summary>
    /// Retires a grant, named by its token or by key and grant id. Allowed to the grant's retiring principal, to its
    /// grantee when the grant includes RetireGrant, and to principals the key policy allows kms:RetireGrant.
    /// </summary>
    public async ValueTask RetireGrantAsync(Caller caller, RetireGrantRequest request, CancellationToken ct)
    {
        GrantRecord? grant;
        KeyRecord? key = null;
        if (request.GrantToken is { } token)
        {
            var id = GrantIdOf(token) ?? throw InvalidGrantToken();
            grant = await storage.GetGrantAsync(id, ct);
            if (grant is null) throw KmsException.NotFound($"Grant {id} does not exist.");
        }
        else if (request.KeyId is { } keyId && request.GrantId is { } grantId)
        {
            // Found, but authorized only below: the retiring principal needs no permission on the key.
            (key, _) = await FindKeyAsync(caller, keyId, allowAlias: false, fresh: false, ct);
            grant = await storage.GetGrantAsync(grantId, ct);
            if (grant is null || grant.KeyId != key.StorageId) throw KmsException.NotFound($"Grant {grantId} does not exist for {Arn(key)}.");
        }
        else throw KmsException.Validation("Specify either GrantToken, or both KeyId and GrantId.");

        var mayRetire = caller.Arn == grant.RetiringPrincipal
                        || (caller.Arn == grant.GranteePrincipal && grant.Operations.Contains("RetireGrant", StringComparer.Ordinal));
        var keyRecord = key ?? await GetKeyAsync(grant.KeyId, fresh: false, ct) ?? throw KmsException.NotFound($"Grant {grant.GrantId} does not exist.");
        if (!mayRetire) await AuthorizeKeyAsync(caller, keyRecord, "kms:RetireGrant", null, ct, grantCondition: _ => false);
        if (request.DryRun == true) throw Faults.DryRun();
        await storage.DeleteGrantAsync(grant.KeyId, grant.GrantId, ct);
        _cache.DropGrants(grant.KeyId);
    }

    public async ValueTask RevokeGrantAsync(Caller caller, RevokeGrantRequest request, CancellationToken ct)
    {
        // Revoking is for those the key policy (or identity policies) allow; a grant cannot grant revocation.
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct, grantCondition: _ => false);
        if (request.DryRun == true) throw Faults.DryRun();
        if (!await storage.DeleteGrantAsync(key.StorageId, request.GrantId!, ct))
            throw KmsException.NotFound($"Grant {request.GrantId} does not exist for {Arn(key)}.");
        _cache.DropGrants(key.StorageId);
    }

    /// <summary>True if a grant of the key lets the caller perform <paramref name="action"/> with the request's encryption context.</summary>
    private async ValueTask<bool> GrantAllowsAsync(Caller caller, KeyRecord key, string action, Func<GrantRecord, bool>? condition, CancellationToken ct)
    {
        var operation = action.StartsWith("kms:", StringComparison.Ordinal) ? action[4..] : action;
        foreach (var grant in await GranteeGrantsAsync(key.StorageId, caller.Arn, fresh: false, ct))
        {
            if (!grant.Operations.Contains(operation, StringComparer.Ordinal)) continue;
            if (ContextOperations.Contains(operation) && Spec(key).Family == KeyFamily.Symmetric && !ConstraintsHold(grant, caller.EncryptionContext)) continue;
            if (condition is not null && !condition(grant)) continue;
            return true;
        }
        return false;
    }

    /// <summary>Grant constraints: keys compare case-insensitively, values exactly (AWS's GrantConstraints).</summary>
    private static bool ConstraintsHold(GrantRecord grant, IReadOnlyDictionary<string, string>? context)
    {
        context ??= new Dictionary<string, string>();
        bool Has(string k, string v) => context.Any(p => string.Equals(p.Key, k, StringComparison.OrdinalIgnoreCase) && string.Equals(p.Value, v, StringComparison.Ordinal));
        if (grant.EncryptionContextEquals is { } equals && (equals.Count != context.Count || !equals.All(p => Has(p.Key, p.Value)))) return false;
        if (grant.EncryptionContextSubset is { } subset && !subset.All(p => Has(p.Key, p.Value))) return false;
        return true;
    }

    /// <summary>The key's grants to <paramref name="grantee"/> (all of them: at most <see cref="MaxGrantsPerKey"/>).</summary>
    private async ValueTask<IReadOnlyList<GrantRecord>> GranteeGrantsAsync(string keyId, string grantee, bool fresh, CancellationToken ct)
    {
        if (!fresh && _cache.GetGrants(keyId, grantee) is { } cached) return cached;
        var grants = await storage.ListGrantsAsync(keyId, null, MaxGrantsPerKey, grantee, null, ct);
        _cache.PutGrants(keyId, grantee, grants);
        return grants;
    }

    /// <summary>Every grant token the request carries must be one (grant tokens are not secret; they name a grant).</summary>
    private static void CheckGrantTokens(Caller caller)
    {
        if (caller.GrantTokens is not { } tokens) return;
        foreach (var t in tokens) if (GrantIdOf(t) is null) throw InvalidGrantToken();
    }

    private static string NewGrantToken(string grantId) => GrantTokenPrefix + grantId + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static string? GrantIdOf(string token)
    {
        if (!token.StartsWith(GrantTokenPrefix, StringComparison.Ordinal)) return null;
        var parts = token[GrantTokenPrefix.Length..].Split('.');
        return parts.Length == 2 && parts[0].Length == 64 && parts[0].All(char.IsAsciiHexDigitLower) ? parts[0] : null;
    }

    private static KmsException InvalidGrantToken() => new(KmsErrorCode.InvalidGrantTokenException, "The grant token is not valid.");

    private static bool SameGrant(GrantRecord g, CreateGrantRequest r, IReadOnlyList<string> operations) =>
        g.GranteePrincipal == r.GranteePrincipal && g.RetiringPrincipal == r.RetiringPrincipal
        && g.Operations.Order(StringComparer.Ordinal).SequenceEqual(operations.Order(StringComparer.Ordinal))
        && SameContext(g.EncryptionContextEquals, r.Constraints?.EncryptionContextEquals)
        && SameContext(g.EncryptionContextSubset, r.Constraints?.EncryptionContextSubset);

    private static bool SameContext(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b) =>
        (a is null && b is null) || (a is not null && b is not null && a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value));

    /// <summary>A page of grants; <paramref name="regionOf"/> gives each grant's key's Region, and only
    /// <paramref name="onlyRegion"/>'s are listed when it is given.</summary>
    private ListGrantsResponse GrantPage(IReadOnlyList<GrantRecord> rows, int limit, Func<GrantRecord, string?> regionOf, string? onlyRegion = null)
    {
        var page = rows.Take(limit).ToList();
        var truncated = rows.Count > limit;
        return new ListGrantsResponse
        {
            Grants = page.Where(g => onlyRegion is null || regionOf(g) == onlyRegion).Select(g => new GrantListEntry
            {
                KeyId = options.KeyArn(regionOf(g) ?? options.Region, AccountOf(g.IssuingAccount), KeyIds.PublicId(g.KeyId)),
                GrantId = g.GrantId,
                Name = g.Name.Length > 0 ? g.Name : null,
                CreationDate = g.CreationDate,
                GranteePrincipal = g.GranteePrincipal,
                RetiringPrincipal = g.RetiringPrincipal,
                IssuingAccount = g.IssuingAccount,
                Operations = [.. g.Operations],
                Constraints = g.EncryptionContextEquals is null && g.EncryptionContextSubset is null ? null : new GrantConstraints
                {
                    EncryptionContextEquals = g.EncryptionContextEquals?.ToDictionary(),
                    EncryptionContextSubset = g.EncryptionContextSubset?.ToDictionary(),
                },
            }).ToList(),
            Truncated = truncated,
            NextMarker = truncated ? Paging.EncodeMarker(page[^1].GrantId) : null,
        };
    }

    private static string AccountOf(string rootArn) => rootArn.Split(':')[4];
}
