using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class ListKeysRequest : IValidatable
{
    public int? Limit { get; set; }
    public string? Marker { get; set; }

    public void Validate(ValidationErrors e) => Members.Paging(e, Limit, Marker);
}

public sealed class ListKeysResponse
{
    public List<KeyListEntry>? Keys { get; set; }
    public string? NextMarker { get; set; }
    public bool Truncated { get; set; }
}
