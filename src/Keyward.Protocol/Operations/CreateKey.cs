using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class CreateKeyRequest : IValidatable
{
    public string? Policy { get; set; }
    public string? Description { get; set; }
    public string? KeyUsage { get; set; }
    public string? CustomerMasterKeySpec { get; set; }
    public string? KeySpec { get; set; }
    public string? Origin { get; set; }
    public string? CustomKeyStoreId { get; set; }
    public bool? BypassPolicyLockoutSafetyCheck { get; set; }
    public List<Tag>? Tags { get; set; }
    public bool? MultiRegion { get; set; }
    public string? XksKeyId { get; set; }

    public void Validate(ValidationErrors e)
    {
        e.Length(Policy, "policy", 1, Constraints.PolicyMax);
        e.Pattern(Policy, "policy", Constraints.PrintablePattern, Constraints.IsPrintable);
        e.Length(Description, "description", 0, Constraints.DescriptionMax);
        e.Enum(KeyUsage, "keyUsage", Constraints.KeyUsages);
        e.Enum(CustomerMasterKeySpec, "customerMasterKeySpec", Constraints.KeySpecs);
        e.Enum(KeySpec, "keySpec", Constraints.KeySpecs);
        e.Enum(Origin, "origin", Constraints.Origins);
        e.Length(CustomKeyStoreId, "customKeyStoreId", 1, 64);
        e.Length(XksKeyId, "xksKeyId", 1, 128);
        Members.Tags(e, Tags);
    }
}

public sealed class CreateKeyResponse
{
    public KeyMetadata? KeyMetadata { get; set; }
}
