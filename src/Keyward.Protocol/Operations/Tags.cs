using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class TagResourceRequest : IValidatable
{
    public string? KeyId { get; set; }
    public List<Tag>? Tags { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Required(Tags, "tags");
        Members.Tags(e, Tags);
    }
}

public sealed class UntagResourceRequest : IValidatable
{
    public string? KeyId { get; set; }
    public List<string>? TagKeys { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Required(TagKeys, "tagKeys");
        if (TagKeys is null) return;
        for (var i = 0; i < TagKeys.Count; i++)
            e.Length(TagKeys[i] ?? "", $"tagKeys.{i + 1}.member", 1, Constraints.TagKeyMax);
    }
}

public sealed class ListResourceTagsRequest : IValidatable
{
    public string? KeyId { get; set; }
    public int? Limit { get; set; }
    public string? Marker { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Range(Limit, "limit", 1, 50);
        Members.Paging(e, null, Marker);
    }
}

public sealed class ListResourceTagsResponse
{
    public List<Tag>? Tags { get; set; }
    public string? NextMarker { get; set; }
    public bool Truncated { get; set; }
}
