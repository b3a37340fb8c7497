using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class GenerateRandomRequest : IValidatable
{
    public int? NumberOfBytes { get; set; }
    public string? CustomKeyStoreId { get; set; }

    public void Validate(ValidationErrors e)
    {
        e.Range(NumberOfBytes, "numberOfBytes", 1, Constraints.NumberOfBytesMax);
        e.Length(CustomKeyStoreId, "customKeyStoreId", 1, 64);
    }
}

public sealed class GenerateRandomResponse
{
    public byte[]? Plaintext { get; set; }
}
