using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class SignRequest : IValidatable, ISensitive, IGrantTokens
{
    public string? KeyId { get; set; }
    public byte[]? Message { get; set; }
    public string? MessageType { get; set; }
    public List<string>? GrantTokens { get; set; }
    public string? SigningAlgorithm { get; set; }
    public bool? DryRun { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.SignedMessage(e, Message, MessageType, SigningAlgorithm);
        Members.GrantTokens(e, GrantTokens);
    }

    public void ZeroSecrets() { if (Message is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}

public sealed class SignResponse
{
    public string? KeyId { get; set; }
    public byte[]? Signature { get; set; }
    public string? SigningAlgorithm { get; set; }
}
