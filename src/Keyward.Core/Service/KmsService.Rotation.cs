using System.Globalization;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

/// <summary>
/// Rotation of symmetric encryption keys: automatic (every RotationPeriodInDays, by the lifecycle
/// job) and on demand. A rotation adds a material version and makes it current; every earlier
/// version keeps decrypting. On demand, RotateKeyOnDemand records the request and the job performs
/// it, as AWS does (GetKeyRotationStatus shows OnDemandRotationStartDate meanwhile); the job is
/// woken at once, so the rotation normally completes within milliseconds.
/// </summary>
public sealed partial class KmsService
{
    public const int DefaultRotationPeriodInDays = 365;

    /// <summary>AWS's per-key quota of on-demand rotations (developer guide, 2026; not adjustable).</summary>
    public const int OnDemandRotationLimit = 25;

    /// <summary>RotateKeyOnDemand is refused this close to a scheduled automatic rotation (ConflictException).</summary>
    private static readonly TimeSpan AutomaticRotationGuard = TimeSpan.FromMinutes(20);

    /// <summary>Raised when an on-demand rotation is waiting, so the lifecycle job runs now rather than at its next tick.</summary>
    public event Action? RotationRequested;

    public async ValueTask EnableKeyRotationAsync(Caller caller, EnableKeyRotationRequest request, CancellationToken ct)
    {
        var period = request.RotationPeriodInDays ?? DefaultRotationPeriodInDays;
        await ChangeKeyAsync(caller, request.KeyId!, key =>
        {
            RequireAutomaticRotation(key);
            RequireNotReplica(key);
            if (key.RotationPeriodInDays == period) return key;
            // A new period counts from the last automatic rotation (or from when rotation was enabled);
            // a date that has already passed means "rotate now".
            var now = Now();
            var next = key is { RotationPeriodInDays: { } old, NextRotationDate: { } due } ? due.AddDays(period - old) : now.AddDays(period);
            return key with { RotationPeriodInDays = period, NextRotationDate = next < now ? now : next };
        }, ct);
    }

    public async ValueTask DisableKeyRotationAsync(Caller caller, string keyId, CancellationToken ct) =>
        await ChangeKeyAsync(caller, keyId, key =>
        {
            RequireAutomaticRotation(key);
            RequireNotReplica(key);
            return key.RotationPeriodInDays is null ? key : key with { RotationPeriodInDays = null, NextRotationDate = null };
        }, ct);

    public async ValueTask<GetKeyRotationStatusResponse> GetKeyRotationStatusAsync(Caller caller, string keyId, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, keyId, allowAlias: false, ct);
        // While a key is pending deletion its rotation is off (and comes back if the deletion is cancelled).
        var enabled = key.RotationPeriodInDays is not null && key.State != KeyState.PendingDeletion;
        return new GetKeyRotationStatusResponse
        {
            KeyId = key.KeyId,
            KeyRotationEnabled = enabled,
            RotationPeriodInDays = enabled ? key.RotationPeriodInDays : null,
            NextRotationDate = enabled ? key.NextRotationDate : null,
            OnDemandRotationStartDate = key.OnDemandRotationStartDate,
        };
    }

    public async ValueTask<RotateKeyOnDemandResponse> RotateKeyOnDemandAsync(Caller caller, string keyId, CancellationToken ct)
    {
        // Imported keys rotate onto material imported beforehand (ImportType NEW_KEY_MATERIAL).
        var pending = false;
        var probe = await ResolveKeyAsync(caller, keyId, allowAlias: false, ct, fresh: true);
        if (probe.Origin == Origins.External && Spec(probe).Family == KeyFamily.Symmetric)
            pending = await PendingRotationMaterialAsync(probe.StorageId, ct) is not null;

        var key = await ChangeKeyAsync(caller, keyId, key =>
        {
            RequireRotatable(key);
            RequireNotReplica(key);
            // Each Region's key of an imported Multi-Region key holds its own imports; a rotation onto one would leave the
            // others behind, so it is refused (documented in docs/api.md).
            if (key.MultiRegion && key.Origin == Origins.External)
                throw Faults.Unsupported($"{Arn(key)} is a multi-Region key with imported key material; it cannot be rotated on demand.");
            if (key.State != KeyState.Enabled) throw Faults.WrongState(Arn(key), key.State);
            if (key.Origin == Origins.External && !pending) throw Faults.NoPendingMaterial(Arn(key));
            var now = Now();
            if (key.OnDemandRotationStartDate is not null || key.NextRotationDate is { } due && due - now < AutomaticRotationGuard)
                throw Faults.RotationConflict(Arn(key));
            if (key.OnDemandRotations >= OnDemandRotationLimit) throw Faults.OnDemandRotationLimit(Arn(key), OnDemandRotationLimit);
            return key with { OnDemandRotationStartDate = now, OnDemandRotations = key.OnDemandRotations + 1 };
        }, ct);
        RotationRequested?.Invoke();
        return new RotateKeyOnDemandResponse { KeyId = key.KeyId };
    }

    public async ValueTask<ListKeyRotationsResponse> ListKeyRotationsAsync(Caller caller, ListKeyRotationsRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct);
        RequireRotatable(key);
        var all = request.IncludeKeyMaterial == "ALL_KEY_MATERIAL";
        var limit = request.Limit ?? 100;
        var after = Paging.DecodeMarker(request.Marker) is { } m
            ? int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : throw Faults.InvalidMarker()
            : 0;
        var entries = new List<RotationsListEntry>(Math.Min(limit, 100));
        var last = after;
        var truncated = false;
        // ROTATIONS_ONLY skips the first material and material pending rotation; page over what is listed.
        while (true)
        {
            var batch = await storage.ListMaterialsAsync(key.StorageId, last, limit + 1, ct);
            foreach (var material in batch)
            {
                if (!all && material.RotationType is null)
                {
                    if (entries.Count < limit) last = material.Sequence;
                    continue;
                }
                if (entries.Count == limit) { truncated = true; break; }
                entries.Add(RotationEntry(key, material));
                last = material.Sequence;
            }
            if (truncated || batch.Count <= limit) break;
        }
        return new ListKeyRotationsResponse
        {
            Rotations = entries,
            Truncated = truncated,
            NextMarker = truncated ? Paging.EncodeMarker(last.ToString(CultureInfo.InvariantCulture)) : null,
        };
    }

    /// <summary>
    /// Performs due rotations (the lifecycle job's work): on-demand rotations that were requested,
    /// and automatic ones whose date has come. Only Enabled keys rotate; a disabled key that missed
    /// its date rotates as soon as it is enabled again. Returns the number of rotations.
    /// </summary>
    /// A Multi-Region key rotates through its primary, whose write carries the new material to every replica.
    public ValueTask<int> RotateDueKeysAsync(CancellationToken ct) =>
        DrainAsync(() => storage.ListKeysDueForRotationAsync(Now(), DueBatch, ct), key => RotateAsync(key, ct));

    /// <summary>One rotation of a due key; false if the key changed meanwhile (a later pass sees it again).</summary>
    private async ValueTask<bool> RotateAsync(KeyRecord key, CancellationToken ct)
    {
        var now = Now();
        var onDemand = key.OnDemandRotationStartDate is not null;
        var next = key with { OnDemandRotationStartDate = null };
        if (!onDemand)
        {
            // Automatic: the schedule moves on by one period; a rotation that is late by more than a
            // day (the key was disabled on its date) restarts the schedule from now, as AWS does.
            var period = key.RotationPeriodInDays!.Value;
            var scheduled = key.NextRotationDate!.Value;
            next = next with { NextRotationDate = (now - scheduled > TimeSpan.FromDays(1) ? now : scheduled).AddDays(period) };
        }
        var rotationType = onDemand ? "ON_DEMAND" : "AUTOMATIC";
        MaterialRecord material;
        if (key.Origin == Origins.External)
        {
            var pending = await PendingRotationMaterialAsync(key.StorageId, ct);
            // The pending material was deleted or expired meanwhile: the request lapses.
            if (pending is null) return await WriteKeyAsync(next, [], [], ct) is not null;
            material = pending with { PendingRotation = false, RotationType = rotationType, RotationDate = now };
            next = next with { ExpirationModel = material.ExpirationModel, ValidTo = material.ValidTo };
        }
        else
        {
            material = keyStore.CreateMaterial(key.StorageId, Spec(key), now) with { RotationType = rotationType, RotationDate = now };
        }
        return await WriteKeyAsync(next with { CurrentMaterialId = material.MaterialId }, [material], [], ct) is not null;
    }

    private async ValueTask<MaterialRecord?> PendingRotationMaterialAsync(string keyId, CancellationToken ct) =>
        (await AllMaterialsAsync(keyId, ct)).FirstOrDefault(m => m.PendingRotation && m.HasSecret);

    private RotationsListEntry RotationEntry(KeyRecord key, MaterialRecord material)
    {
        var imported = key.Origin == Origins.External;
        return new RotationsListEntry
        {
            KeyId = key.KeyId,
            KeyMaterialId = material.MaterialId,
            KeyMaterialState = material.PendingRotation ? "PENDING_ROTATION" : material.MaterialId == key.CurrentMaterialId ? "CURRENT" : "NON_CURRENT",
            RotationDate = material.RotationDate,
            RotationType = material.RotationType,
            KeyMaterialDescription = imported ? material.Description : null,
            ImportState = imported ? material.HasSecret ? "IMPORTED" : "PENDING_IMPORT" : null,
            ExpirationModel = imported ? material.ExpirationModel : null,
            ValidTo = imported ? material.ValidTo : null,
        };
    }

    /// <summary>Automatic rotation: symmetric encryption keys with material generated here.</summary>
    private void RequireAutomaticRotation(KeyRecord key)
    {
        RequireRotatable(key);
        if (key.Origin != Origins.AwsKms) throw Faults.WrongOrigin(Arn(key), key.Origin);
        RequireNotPendingDeletion(key);
        if (key.State == KeyState.Disabled) throw Faults.WrongState(Arn(key), key.State);
    }

    /// <summary>Any rotation: symmetric encryption keys only (not asymmetric, not HMAC), and not in a custom key store (as in AWS).</summary>
    private void RequireRotatable(KeyRecord key)
    {
        if (key.CustomKeyStoreId is not null)
            throw Faults.Unsupported($"{Arn(key)} is in custom key store {key.CustomKeyStoreId}. Keys in custom key stores do not support key rotation.");
        if (Spec(key).Family != KeyFamily.Symmetric) throw Faults.NotRotatable(Arn(key), key.KeySpec);
    }
}
