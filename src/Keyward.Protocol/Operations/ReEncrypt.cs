using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class ReEncryptRequest : IValidatable, IGrantTokens
{
    public byte[]? CiphertextBlob { get; set; }
    public Dictionary<string, string>? SourceEncryptionContext { get; set; }
    public string? SourceKeyId { get; set; }
    public string? DestinationKeyId { get; set; }
    public Dictionary<string, string>? DestinationEncryptionContext { get; set; }
    public string? SourceEncryptionAlgorithm { get; set; }
    public string? DestinationEncryptionAlgorithm { get; set; }
    public List<string>? GrantTokens { get; set; }
    public bool? DryRun { get; set; }

    public void Validate(ValidationErrors e)
    {
        if (CiphertextBlob is null) e.AddHidden("ciphertextBlob", "Member must not be null");
        e.BlobLength(CiphertextBlob, "ciphertextBlob", 1, Constraints.CiphertextMax);
        Members.KeyId(e, SourceKeyId, "sourceKeyId", required: false);
        Members.KeyId(e, DestinationKeyId, "destinationKeyId");
        e.Enum(SourceEncryptionAlgorithm, "sourceEncryptionAlgorithm", Constraints.EncryptionAlgorithms);
        e.Enum(DestinationEncryptionAlgorithm, "destinationEncryptionAlgorithm", Constraints.EncryptionAlgorithms);
        Members.GrantTokens(e, GrantTokens);
    }
}

public sealed class ReEncryptResponse
{
    public byte[]? CiphertextBlob { get; set; }
    public string? SourceKeyId { get; set; }
    public string? KeyId { get; set; }
    public string? SourceEncryptionAlgorithm { get; set; }
    public string? DestinationEncryptionAlgorithm { get; set; }
    public string? SourceKeyMaterialId { get; set; }
    public string? DestinationKeyMaterialId { get; set; }
}
