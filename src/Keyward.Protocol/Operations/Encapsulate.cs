using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

/// <summary>Encapsulate (ML-KEM, FIPS 203): a new 32-byte shared secret and its encapsulation under the key's public key.</summary>
public sealed class EncapsulateRequest : IValidatable, IGrantTokens
{
    public string? KeyId { get; set; }
    public string? EncapsulationAlgorithm { get; set; }
    public List<string>? GrantTokens { get; set; }
    public bool? DryRun { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Required(EncapsulationAlgorithm, "encapsulationAlgorithm");
        e.Enum(EncapsulationAlgorithm, "encapsulationAlgorithm", Constraints.EncapsulationAlgorithms);
        Members.GrantTokens(e, GrantTokens);
    }
}

public sealed class EncapsulateResponse : ISensitive
{
    public string? KeyId { get; set; }
    public byte[]? SharedSecret { get; set; }
    public byte[]? SharedSecretCiphertextBlob { get; set; }
    public string? EncapsulationAlgorithm { get; set; }

    public void ZeroSecrets() { if (SharedSecret is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}

/// <summary>Decapsulate: the shared secret an Encapsulate (of this key's public key, anywhere) made.</summary>
public sealed class DecapsulateRequest : IValidatable, IGrantTokens
{
    public string? KeyId { get; set; }
    public byte[]? SharedSecretCiphertextBlob { get; set; }
    public string? EncapsulationAlgorithm { get; set; }
    public List<string>? GrantTokens { get; set; }
    public bool? DryRun { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        if (SharedSecretCiphertextBlob is null) e.AddHidden("sharedSecretCiphertextBlob", "Member must not be null");
        e.BlobLength(SharedSecretCiphertextBlob, "sharedSecretCiphertextBlob", 1, Constraints.CiphertextMax);
        e.Required(EncapsulationAlgorithm, "encapsulationAlgorithm");
        e.Enum(EncapsulationAlgorithm, "encapsulationAlgorithm", Constraints.EncapsulationAlgorithms);
        Members.GrantTokens(e, GrantTokens);
    }
}

public sealed class DecapsulateResponse : ISensitive
{
    public string? KeyId { get; set; }
    public byte[]? SharedSecret { get; set; }
    public string? EncapsulationAlgorithm { get; set; }

    public void ZeroSecrets() { if (SharedSecret is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}
