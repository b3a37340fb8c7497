using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class DescribeKeyRequest : IValidatable, IGrantTokens
{
    public string? KeyId { get; set; }
    public List<string>? GrantTokens { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.GrantTokens(e, GrantTokens);
    }
}

public sealed class DescribeKeyResponse
{
    public KeyMetadata? KeyMetadata { get; set; }
}
