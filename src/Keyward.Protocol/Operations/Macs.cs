using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

/// <summary>Input of GenerateMac; VerifyMac adds the Mac member.</summary>
public class GenerateMacRequest : IValidatable, ISensitive, IGrantTokens
{
    public byte[]? Message { get; set; }
    public string? KeyId { get; set; }
    public string? MacAlgorithm { get; set; }
    public List<string>? GrantTokens { get; set; }
    public bool? DryRun { get; set; }

    public virtual void Validate(ValidationErrors e)
    {
        if (Message is null) e.AddHidden("message", "Member must not be null");
        e.BlobLength(Message, "message", 1, Constraints.PlaintextMax);
        Members.KeyId(e, KeyId);
        e.Required(MacAlgorithm, "macAlgorithm");
        e.Enum(MacAlgorithm, "macAlgorithm", Constraints.MacAlgorithms);
        Members.GrantTokens(e, GrantTokens);
    }

    public void ZeroSecrets() { if (Message is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}

public sealed class GenerateMacResponse
{
    public byte[]? Mac { get; set; }
    public string? MacAlgorithm { get; set; }
    public string? KeyId { get; set; }
}

public sealed class VerifyMacRequest : GenerateMacRequest
{
    public byte[]? Mac { get; set; }

    public override void Validate(ValidationErrors e)
    {
        base.Validate(e);
        if (Mac is null) e.AddHidden("mac", "Member must not be null");
        e.BlobLength(Mac, "mac", 1, Constraints.MacMax);
    }
}

public sealed class VerifyMacResponse
{
    public string? KeyId { get; set; }
    public bool MacValid { get; set; }
    public string? MacAlgorithm { get; set; }
}
