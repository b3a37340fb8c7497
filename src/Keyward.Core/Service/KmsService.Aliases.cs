using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Model;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

public sealed partial class KmsService
{
    public async ValueTask CreateAliasAsync(Caller caller, AliasTargetRequest request, CancellationToken ct)
    {
        var name = CheckAliasName(request.AliasName!);
        var key = await ResolveKeyAsync(caller, request.TargetKeyId!, allowAlias: false, ct);
        RequireNotPendingDeletion(key);
        var now = Now();
        var region = RegionOf(caller);
        if (!await storage.CreateAliasAsync(new AliasRecord(caller.AccountId, name, key.StorageId, now, now) { Region = region }, ct))
            throw new KmsException(KmsErrorCode.AlreadyExistsException,
                $"An alias with the name {options.AliasArn(region, caller.AccountId, name)} already exists");
    }

    public async ValueTask UpdateAliasAsync(Caller caller, AliasTargetRequest request, CancellationToken ct)
    {
        var name = CheckAliasName(request.AliasName!);
        var region = RegionOf(caller);
        var alias = await storage.GetAliasAsync(caller.AccountId, region, name, ct)
                    ?? throw Faults.AliasNotFound(options.AliasArn(region, caller.AccountId, name));
        var key = await ResolveKeyAsync(caller, request.TargetKeyId!, allowAlias: false, ct);
        RequireNotPendingDeletion(key);
        var current = await storage.GetKeyAsync(alias.TargetKeyId, ct);
        // AWS: UpdateAlias needs permission on the current target as well as on the new one.
        if (current is not null) await AuthorizeKeyAsync(caller, current, ActionOf(caller), null, ct);
        // AWS: the new target must have the same key type and usage as the current one.
        if (current is not null && (current.KeySpec != key.KeySpec || current.KeyUsage != key.KeyUsage))
            throw KmsException.Validation(
                $"{Arn(key)} key usage or key spec does not match the current target key of {options.AliasArn(region, caller.AccountId, name)}.");
        var updated = await storage.UpdateAliasAsync(caller.AccountId, region, name, key.StorageId, Now(), ct);
        _cache.DropAlias(caller.AccountId, region, name);
        if (!updated) throw Faults.AliasNotFound(options.AliasArn(region, caller.AccountId, name));
    }

    public async ValueTask DeleteAliasAsync(Caller caller, DeleteAliasRequest request, CancellationToken ct)
    {
        var name = CheckAliasName(request.AliasName!);
        var region = RegionOf(caller);
        // AWS: DeleteAlias needs permission on the alias's target key.
        if (await storage.GetAliasAsync(caller.AccountId, region, name, ct) is { } alias && await GetKeyAsync(alias.TargetKeyId, fresh: false, ct) is { } target)
            await AuthorizeKeyAsync(caller, target, ActionOf(caller), null, ct);
        var deleted = await storage.DeleteAliasAsync(caller.AccountId, region, name, ct);
        _cache.DropAlias(caller.AccountId, region, name);
        if (!deleted) throw Faults.AliasNotFound(options.AliasArn(region, caller.AccountId, name));
    }

    public async ValueTask<ListAliasesResponse> ListAliasesAsync(Caller caller, ListAliasesRequest request, CancellationToken ct)
    {
        AuthorizeAccount(caller);
        string? target = null;
        if (request.KeyId is not null) target = (await ResolveKeyAsync(caller, request.KeyId, allowAlias: false, ct)).StorageId;
        var limit = request.Limit ?? 50; // AWS's default; Limit is 1..100
        var region = RegionOf(caller);
        var rows = await storage.ListAliasesAsync(caller.AccountId, region, target, Paging.DecodeMarker(request.Marker), limit + 1, ct);
        var page = rows.Take(limit).ToList();
        var truncated = rows.Count > limit;
        return new ListAliasesResponse
        {
            Aliases = page.Select(a => new AliasListEntry
            {
                AliasName = a.AliasName,
                AliasArn = options.AliasArn(a.Region, a.AccountId, a.AliasName),
                TargetKeyId = KeyIds.PublicId(a.TargetKeyId),
                CreationDate = a.CreationDate,
                LastUpdatedDate = a.LastUpdatedDate,
            }).ToList(),
            Truncated = truncated,
            NextMarker = truncated ? Paging.EncodeMarker(page[^1].AliasName) : null,
        };
    }

    private static string CheckAliasName(string name)
    {
        if (!name.StartsWith("alias/", StringComparison.Ordinal) || name.Length == "alias/".Length)
            // AWS's recorded answer (LocalStack's snapshot test_create_alias): ValidationException, this wording.
            throw KmsException.Validation(
                "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
        if (name.StartsWith("alias/aws/", StringComparison.Ordinal))
            throw new KmsException(KmsErrorCode.InvalidAliasNameException, "Alias names that begin with alias/aws/ are reserved.");
        return name;
    }
}
