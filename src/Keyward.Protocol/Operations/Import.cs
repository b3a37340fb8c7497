using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class GetParametersForImportRequest : IValidatable
{
    public string? KeyId { get; set; }
    public string? WrappingAlgorithm { get; set; }
    public string? WrappingKeySpec { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        e.Required(WrappingAlgorithm, "wrappingAlgorithm");
        e.Enum(WrappingAlgorithm, "wrappingAlgorithm", Constraints.WrappingAlgorithms);
        e.Required(WrappingKeySpec, "wrappingKeySpec");
        e.Enum(WrappingKeySpec, "wrappingKeySpec", Constraints.WrappingKeySpecs);
    }
}

public sealed class GetParametersForImportResponse
{
    public string? KeyId { get; set; }
    public byte[]? ImportToken { get; set; }
    public byte[]? PublicKey { get; set; }
    public DateTimeOffset? ParametersValidTo { get; set; }
}

public sealed class ImportKeyMaterialRequest : IValidatable, ISensitive
{
    public string? KeyId { get; set; }
    public byte[]? ImportToken { get; set; }
    public byte[]? EncryptedKeyMaterial { get; set; }
    public DateTimeOffset? ValidTo { get; set; }
    public string? ExpirationModel { get; set; }
    public string? ImportType { get; set; }
    public string? KeyMaterialDescription { get; set; }
    public string? KeyMaterialId { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        if (ImportToken is null) e.AddHidden("importToken", "Member must not be null");
        e.BlobLength(ImportToken, "importToken", 1, Constraints.CiphertextMax);
        if (EncryptedKeyMaterial is null) e.AddHidden("encryptedKeyMaterial", "Member must not be null");
        e.BlobLength(EncryptedKeyMaterial, "encryptedKeyMaterial", 1, Constraints.CiphertextMax);
        e.Enum(ExpirationModel, "expirationModel", Constraints.ExpirationModels);
        e.Enum(ImportType, "importType", Constraints.ImportTypes);
        e.Length(KeyMaterialDescription, "keyMaterialDescription", 0, 256);
        e.Pattern(KeyMaterialDescription, "keyMaterialDescription", Constraints.MaterialDescriptionPattern, Constraints.IsMaterialDescription);
        Members.MaterialId(e, KeyMaterialId);
    }

    /// <summary>The wrapped material is useless without the wrapping private key, but is zeroed anyway.</summary>
    public void ZeroSecrets() { if (EncryptedKeyMaterial is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}

public sealed class KeyMaterialResponse
{
    public string? KeyId { get; set; }
    public string? KeyMaterialId { get; set; }
}

public sealed class DeleteImportedKeyMaterialRequest : IValidatable
{
    public string? KeyId { get; set; }
    public string? KeyMaterialId { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.MaterialId(e, KeyMaterialId);
    }
}
