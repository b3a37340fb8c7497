using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class EnableKeyRotationRequest : IValidatable
{
    public string? KeyId { get; set; }
    public int? RotationPeriodInDays { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Range(RotationPeriodInDays, "rotationPeriodInDays", Constraints.RotationPeriodMin, Constraints.RotationPeriodMax);
    }
}

public sealed class GetKeyRotationStatusResponse
{
    public bool KeyRotationEnabled { get; set; }
    public string? KeyId { get; set; }
    public int? RotationPeriodInDays { get; set; }
    public DateTimeOffset? NextRotationDate { get; set; }
    public DateTimeOffset? OnDemandRotationStartDate { get; set; }
}

public sealed class RotateKeyOnDemandResponse
{
    public string? KeyId { get; set; }
}

public sealed class ListKeyRotationsRequest : IValidatable
{
    public string? KeyId { get; set; }
    public string? IncludeKeyMaterial { get; set; }
    public int? Limit { get; set; }
    public string? Marker { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Enum(IncludeKeyMaterial, "includeKeyMaterial", Constraints.IncludeKeyMaterial);
        Members.Paging(e, Limit, Marker);
    }
}

public sealed class ListKeyRotationsResponse
{
    public List<RotationsListEntry>? Rotations { get; set; }
    public string? NextMarker { get; set; }
    public bool Truncated { get; set; }
}

/// <summary>One key material of a key (the model's RotationsListEntry); import members only for EXTERNAL keys.</summary>
public sealed class RotationsListEntry
{
    public string? KeyId { get; set; }
    public string? KeyMaterialId { get; set; }
    public string? KeyMaterialDescription { get; set; }
    public string? ImportState { get; set; }
    public string? KeyMaterialState { get; set; }
    public string? ExpirationModel { get; set; }
    public DateTimeOffset? ValidTo { get; set; }
    public DateTimeOffset? RotationDate { get; set; }
    public string? RotationType { get; set; }
}
