namespace Keyward.Protocol.Xks;

public sealed class XksKeyMetadataRequest : IXksRequest
{
    public XksRequestMetadata? RequestMetadata { get; set; }
}

/// <summary>keySpec AES_256; keyUsage the usages the key has (ENCRYPT, DECRYPT); keyStatus ENABLED or DISABLED.</summary>
public sealed record XksKeyMetadataResponse(string KeySpec, IReadOnlyList<string> KeyUsage, string KeyStatus);
