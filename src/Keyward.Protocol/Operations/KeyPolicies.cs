using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class GetKeyPolicyRequest : IValidatable
{
    public string? KeyId { get; set; }
    public string? PolicyName { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.PolicyName(e, PolicyName);
    }
}

public sealed class GetKeyPolicyResponse
{
    public string? Policy { get; set; }
    public string? PolicyName { get; set; }
}

public sealed class PutKeyPolicyRequest : IValidatable
{
    public string? KeyId { get; set; }
    public string? PolicyName { get; set; }
    public string? Policy { get; set; }
    public bool? BypassPolicyLockoutSafetyCheck { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.PolicyName(e, PolicyName);
        e.Required(Policy, "policy");
        e.Length(Policy, "policy", 1, Constraints.PolicyMax);
        e.Pattern(Policy, "policy", Constraints.PrintablePattern, Constraints.IsPrintable);
    }
}

public sealed class ListKeyPoliciesRequest : IValidatable
{
    public string? KeyId { get; set; }
    public int? Limit { get; set; }
    public string? Marker { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.Paging(e, Limit, Marker);
    }
}

public sealed class ListKeyPoliciesResponse
{
    public List<string>? PolicyNames { get; set; }
    public string? NextMarker { get; set; }
    public bool Truncated { get; set; }
}
