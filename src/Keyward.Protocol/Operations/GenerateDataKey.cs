using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

/// <summary>Input of GenerateDataKey and GenerateDataKeyWithoutPlaintext (identical members).</summary>
public sealed class GenerateDataKeyRequest : IValidatable, IGrantTokens, IEncryptionContext
{
    public string? KeyId { get; set; }
    public Dictionary<string, string>? EncryptionContext { get; set; }
    public int? NumberOfBytes { get; set; }
    public string? KeySpec { get; set; }
    public List<string>? GrantTokens { get; set; }
    public bool? DryRun { get; set; }
    /// <summary>GenerateDataKey only (GenerateDataKeyWithoutPlaintext's model has no such member).</summary>
    public RecipientInfo? Recipient { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Range(NumberOfBytes, "numberOfBytes", 1, Constraints.NumberOfBytesMax);
        e.Enum(KeySpec, "keySpec", Constraints.DataKeySpecs);
        Members.GrantTokens(e, GrantTokens);
    }
}

public sealed class GenerateDataKeyResponse : ISensitive
{
    public byte[]? CiphertextBlob { get; set; }
    public byte[]? Plaintext { get; set; }
    public string? KeyId { get; set; }
    public string? KeyMaterialId { get; set; }

    public void ZeroSecrets() { if (Plaintext is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}
