using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

/// <summary>Input of GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext.</summary>
public sealed class GenerateDataKeyPairRequest : IValidatable, IGrantTokens, IEncryptionContext
{
    public Dictionary<string, string>? EncryptionContext { get; set; }
    public string? KeyId { get; set; }
    public string? KeyPairSpec { get; set; }
    public List<string>? GrantTokens { get; set; }
    public RecipientInfo? Recipient { get; set; }
    public bool? DryRun { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Required(KeyPairSpec, "keyPairSpec");
        e.Enum(KeyPairSpec, "keyPairSpec", Constraints.DataKeyPairSpecs);
        Members.GrantTokens(e, GrantTokens);
    }
}

public sealed class GenerateDataKeyPairResponse : ISensitive
{
    public byte[]? PrivateKeyCiphertextBlob { get; set; }
    public byte[]? PrivateKeyPlaintext { get; set; }
    public byte[]? PublicKey { get; set; }
    public string? KeyId { get; set; }
    public string? KeyPairSpec { get; set; }
    public string? KeyMaterialId { get; set; }

    public void ZeroSecrets() { if (PrivateKeyPlaintext is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}
