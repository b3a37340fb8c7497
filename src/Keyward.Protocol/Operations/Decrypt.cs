using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class DecryptRequest : IValidatable, IGrantTokens, IEncryptionContext
{
    public byte[]? CiphertextBlob { get; set; }
    public Dictionary<string, string>? EncryptionContext { get; set; }
    public List<string>? GrantTokens { get; set; }
    public string? KeyId { get; set; }
    public string? EncryptionAlgorithm { get; set; }
    public bool? DryRun { get; set; }
    public RecipientInfo? Recipient { get; set; }

    public void Validate(ValidationErrors e)
    {
        if (CiphertextBlob is null) e.AddHidden("ciphertextBlob", "Member must not be null");
        e.BlobLength(CiphertextBlob, "ciphertextBlob", 1, Constraints.CiphertextMax);
        Members.KeyId(e, KeyId, required: false);
        Members.GrantTokens(e, GrantTokens);
        e.Enum(EncryptionAlgorithm, "encryptionAlgorithm", Constraints.EncryptionAlgorithms);
    }
}

public sealed class DecryptResponse : ISensitive
{
    public string? KeyId { get; set; }
    public byte[]? Plaintext { get; set; }
    public string? EncryptionAlgorithm { get; set; }
    public string? KeyMaterialId { get; set; }

    public void ZeroSecrets() { if (Plaintext is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}
