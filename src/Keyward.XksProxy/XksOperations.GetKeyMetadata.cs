using Keyward.Protocol.Xks;

namespace Keyward.XksProxy;

internal sealed partial class XksOperations
{
    /// <summary>GetKeyMetadata: AES_256, the usages the HSM key has, and ENABLED or DISABLED from its validity period.</summary>
    public ValueTask<XksKeyMetadataResponse> MetadataAsync(string keyId) => store.MetadataAsync(keyId);
}
