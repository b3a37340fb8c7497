using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

/// <summary>Input of CreateAlias and UpdateAlias (identical members).</summary>
public sealed class AliasTargetRequest : IValidatable
{
    public string? AliasName { get; set; }
    public string? TargetKeyId { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.AliasName(e, AliasName);
        Members.KeyId(e, TargetKeyId, "targetKeyId");
    }
}

public sealed class DeleteAliasRequest : IValidatable
{
    public string? AliasName { get; set; }

    public void Validate(ValidationErrors e) => Members.AliasName(e, AliasName);
}

public sealed class ListAliasesRequest : IValidatable
{
    public string? KeyId { get; set; }
    public int? Limit { get; set; }
    public string? Marker { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId, required: false);
        Members.Paging(e, Limit, Marker, maxLimit: 100);
    }
}

public sealed class ListAliasesResponse
{
    public List<AliasListEntry>? Aliases { get; set; }
    public string? NextMarker { get; set; }
    public bool Truncated { get; set; }
}
