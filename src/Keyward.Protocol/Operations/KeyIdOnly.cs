using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

/// <summary>
/// Input of the operations whose only member is KeyId: EnableKey, DisableKey, CancelKeyDeletion,
/// DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand. The model gives them separate
/// shapes with identical members.
/// </summary>
public sealed class KeyIdRequest : IValidatable
{
    public string? KeyId { get; set; }

    public void Validate(ValidationErrors e) => Members.KeyId(e, KeyId);
}

public sealed class CancelKeyDeletionResponse
{
    public string? KeyId { get; set; }
}
