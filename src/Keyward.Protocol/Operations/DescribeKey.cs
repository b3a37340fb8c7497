using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

internal sealed class DescribeKeyRequest : IValidatable, IGrantTokens
{
    public string? KeyId { get; set; }
    public List<string>? GrantTokens { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        Members.GrantTokens(e, GrantTokens);
    }
}

internal sealed class DescribeKeyResponse
{
    public KeyMetadata? KeyMetadata { get; set; }
}
