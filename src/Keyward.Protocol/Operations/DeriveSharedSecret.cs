using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class DeriveSharedSecretRequest : IValidatable, IGrantTokens
{
    public string? KeyId { get; set; }
    public string? KeyAgreementAlgorithm { get; set; }
    public byte[]? PublicKey { get; set; }
    public List<string>? GrantTokens { get; set; }
    public bool? DryRun { get; set; }
    public RecipientInfo? Recipient { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Required(KeyAgreementAlgorithm, "keyAgreementAlgorithm");
        e.Enum(KeyAgreementAlgorithm, "keyAgreementAlgorithm", Constraints.KeyAgreementAlgorithms);
        if (PublicKey is null) e.AddHidden("publicKey", "Member must not be null");
        e.BlobLength(PublicKey, "publicKey", 1, Constraints.PublicKeyMax);
        Members.GrantTokens(e, GrantTokens);
    }
}

public sealed class DeriveSharedSecretResponse : ISensitive
{
    public string? KeyId { get; set; }
    public byte[]? SharedSecret { get; set; }
    public byte[]? CiphertextForRecipient { get; set; }
    public string? KeyAgreementAlgorithm { get; set; }
    public string? KeyOrigin { get; set; }

    public void ZeroSecrets() { if (SharedSecret is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}
