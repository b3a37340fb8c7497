namespace Keyward.Protocol.Validation;

/// <summary>A request that checks its own model constraints (required, length, range, enum, pattern).</summary>
public interface IValidatable
{
    void Validate(ValidationErrors errors);
}
