using Keyward.Core.Identity;
using Keyward.Protocol.Model;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

public sealed partial class KmsService
{
    public async ValueTask TagResourceAsync(Caller caller, TagResourceRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct);
        RequireNotPendingDeletion(key);
        var tags = CheckTags(request.Tags!, await storage.ListTagsAsync(key.StorageId, ct));
        await storage.ChangeTagsAsync(key.StorageId, tags, [], ct);
    }

    public async ValueTask UntagResourceAsync(Caller caller, UntagResourceRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct);
        RequireNotPendingDeletion(key);
        await storage.ChangeTagsAsync(key.StorageId, [], request.TagKeys!, ct);
    }

    public async ValueTask<ListResourceTagsResponse> ListResourceTagsAsync(Caller caller, ListResourceTagsRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct);
        var limit = request.Limit ?? 50;
        var after = Paging.DecodeMarker(request.Marker);
        var all = await storage.ListTagsAsync(key.StorageId, ct);
        var rest = all.Where(t => after is null || string.CompareOrdinal(t.TagKey, after) > 0).ToList();
        var page = rest.Take(limit).ToList();
        var truncated = rest.Count > limit;
        return new ListResourceTagsResponse
        {
            Tags = page.Select(t => new Tag { TagKey = t.TagKey, TagValue = t.TagValue }).ToList(),
            Truncated = truncated,
            NextMarker = truncated ? Paging.EncodeMarker(page[^1].TagKey) : null,
        };
    }
}
