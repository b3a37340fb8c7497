using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class UpdateKeyDescriptionRequest : IValidatable
{
    public string? KeyId { get; set; }
    public string? Description { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Required(Description, "description");
        e.Length(Description, "description", 0, Constraints.DescriptionMax);
    }
}
