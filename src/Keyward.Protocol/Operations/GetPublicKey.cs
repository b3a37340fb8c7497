using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class GetPublicKeyRequest : IValidatable, IGrantTokens
{
    public string? KeyId { get; set; }
    public List<string>? GrantTokens { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.GrantTokens(e, GrantTokens);
    }
}

public sealed class GetPublicKeyResponse
{
    public string? KeyId { get; set; }
    public byte[]? PublicKey { get; set; }
    public string? CustomerMasterKeySpec { get; set; }
    public string? KeySpec { get; set; }
    public string? KeyUsage { get; set; }
    public List<string>? EncryptionAlgorithms { get; set; }
    public List<string>? SigningAlgorithms { get; set; }
    public List<string>? KeyAgreementAlgorithms { get; set; }
    public List<string>? EncapsulationAlgorithms { get; set; }
}
