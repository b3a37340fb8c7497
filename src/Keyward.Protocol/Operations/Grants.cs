using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class CreateGrantRequest : IValidatable, IGrantTokens
{
    public string? KeyId { get; set; }
    public string? GranteePrincipal { get; set; }
    public string? RetiringPrincipal { get; set; }
    public List<string>? Operations { get; set; }
    public GrantConstraints? Constraints { get; set; }
    public List<string>? GrantTokens { get; set; }
    public string? Name { get; set; }
    public bool? DryRun { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.Principal(e, GranteePrincipal, "granteePrincipal", required: true);
        Members.Principal(e, RetiringPrincipal, "retiringPrincipal", required: false);
        e.Required(Operations, "operations");
        if (Operations is not null)
            for (var i = 0; i < Operations.Count; i++)
            {
                if (Operations[i] is null) e.Add(null, $"operations.{i + 1}.member", "Member must not be null");
                else e.Enum(Operations[i], $"operations.{i + 1}.member", Validation.Constraints.GrantOperations);
            }
        Members.GrantTokens(e, GrantTokens);
        e.Length(Name, "name", 1, 256);
        e.Pattern(Name, "name", "^[a-zA-Z0-9:/_-]+$", Validation.Constraints.IsAliasText);
        ConstraintContext(e, Constraints?.EncryptionContextSubset, "constraints.encryptionContextSubset");
        ConstraintContext(e, Constraints?.EncryptionContextEquals, "constraints.encryptionContextEquals");
    }

    /// <summary>
    /// AWS's bounds on a grant constraint (API_CreateGrant, Constraints): at most 8 pairs, values at most 384 characters.
    /// Every request the grant might allow is matched against it, and ListGrants returns it: unbounded, it made
    /// each grant a megabyte.
    /// </summary>
    private static void ConstraintContext(ValidationErrors e, Dictionary<string, string>? context, string member)
    {
        if (context is null) return;
        if (context.Count > MaxConstraintPairs) e.AddHidden(member, $"Member must have length less than or equal to {MaxConstraintPairs}");
        foreach (var value in context.Values)
            if (value is { Length: > MaxConstraintValue })
            {
                e.AddHidden(member, $"Map value must satisfy constraint: [Member must have length less than or equal to {MaxConstraintValue}]");
                break;
            }
    }

    public const int MaxConstraintPairs = 8;
    public const int MaxConstraintValue = 384;
}

public sealed class CreateGrantResponse
{
    public string? GrantToken { get; set; }
    public string? GrantId { get; set; }
}

public sealed class ListGrantsRequest : IValidatable
{
    public string? KeyId { get; set; }
    public int? Limit { get; set; }
    public string? Marker { get; set; }
    public string? GrantId { get; set; }
    public string? GranteePrincipal { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.Paging(e, Limit, Marker, maxLimit: 100);
        e.Length(GrantId, "grantId", 1, 128);
        Members.Principal(e, GranteePrincipal, "granteePrincipal", required: false);
    }
}

public sealed class ListRetirableGrantsRequest : IValidatable
{
    public int? Limit { get; set; }
    public string? Marker { get; set; }
    public string? RetiringPrincipal { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.Paging(e, Limit, Marker, maxLimit: 100);
        Members.Principal(e, RetiringPrincipal, "retiringPrincipal", required: true);
    }
}

public sealed class ListGrantsResponse
{
    public List<GrantListEntry>? Grants { get; set; }
    public string? NextMarker { get; set; }
    public bool Truncated { get; set; }
}

public sealed class RetireGrantRequest : IValidatable
{
    public string? GrantToken { get; set; }
    public string? KeyId { get; set; }
    public string? GrantId { get; set; }
    public bool? DryRun { get; set; }

    public void Validate(ValidationErrors e)
    {
        e.Length(GrantToken, "grantToken", 1, Validation.Constraints.GrantTokenMax);
        Members.KeyId(e, KeyId, required: false);
        e.Length(GrantId, "grantId", 1, 128);
    }
}

public sealed class RevokeGrantRequest : IValidatable
{
    public string? KeyId { get; set; }
    public string? GrantId { get; set; }
    public bool? DryRun { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Required(GrantId, "grantId");
        e.Length(GrantId, "grantId", 1, 128);
    }
}
