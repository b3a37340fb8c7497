using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class GenerateRandomRequest : IValidatable
{
    public int? NumberOfBytes { get; set; }
    public string? CustomKeyStoreId { get; set; }
    public RecipientInfo? Recipient { get; set; }

    public void Validate(ValidationErrors e)
    {
        e.Range(NumberOfBytes, "numberOfBytes", 1, Constraints.NumberOfBytesMax);
        e.Length(CustomKeyStoreId, "customKeyStoreId", 1, 64);
    }
}

public sealed class GenerateRandomResponse : ISensitive
{
    public byte[]? Plaintext { get; set; }

    public void ZeroSecrets() { if (Plaintext is { } b) System.Security.Cryptography.CryptographicOperations.ZeroMemory(b); }
}
