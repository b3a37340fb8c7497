using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class ReplicateKeyRequest : IValidatable
{
    public string? KeyId { get; set; }
    public string? ReplicaRegion { get; set; }
    public string? Policy { get; set; }
    public bool? BypassPolicyLockoutSafetyCheck { get; set; }
    public string? Description { get; set; }
    public List<Tag>? Tags { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.Region(e, ReplicaRegion, "replicaRegion");
        e.Length(Policy, "policy", 1, Constraints.PolicyMax);
        e.Pattern(Policy, "policy", Constraints.PrintablePattern, Constraints.IsPrintable);
        e.Length(Description, "description", 0, Constraints.DescriptionMax);
        Members.Tags(e, Tags);
    }
}

public sealed class ReplicateKeyResponse
{
    public KeyMetadata? ReplicaKeyMetadata { get; set; }
    public string? ReplicaPolicy { get; set; }
    public List<Tag>? ReplicaTags { get; set; }
}

public sealed class UpdatePrimaryRegionRequest : IValidatable
{
    public string? KeyId { get; set; }
    public string? PrimaryRegion { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.Region(e, PrimaryRegion, "primaryRegion");
    }
}
