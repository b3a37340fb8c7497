using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class EncryptRequest : IValidatable, ISensitive, IGrantTokens, IEncryptionContext
{
    public string? KeyId { get; set; }
    public byte[]? Plaintext { get; set; }
    public Dictionary<string, string>? EncryptionContext { get; set; }
    public List<string>? GrantTokens { get; set; }
    public string? EncryptionAlgorithm { get; set; }
    public bool? DryRun { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        if (Plaintext is null) e.AddHidden("plaintext", "Member must not be null");
        e.BlobLength(Plaintext, "plaintext", 1, Constraints.PlaintextMax);
        Members.GrantTokens(e, GrantTokens);
        e.Enum(EncryptionAlgorithm, "encryptionAlgorithm", Constraints.EncryptionAlgorithms);
    }

    public void ZeroSecrets() { if (Plaintext is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}

public sealed class EncryptResponse
{
    public byte[]? CiphertextBlob { get; set; }
    public string? KeyId { get; set; }
    public string? EncryptionAlgorithm { get; set; }
}
