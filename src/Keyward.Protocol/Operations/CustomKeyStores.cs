using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

// Custom key store operations. The XKS members are accepted here and used by external key stores.

public sealed class CreateCustomKeyStoreRequest : IValidatable
{
    public string? CustomKeyStoreName { get; set; }
    public string? CloudHsmClusterId { get; set; }
    public string? TrustAnchorCertificate { get; set; }
    public string? KeyStorePassword { get; set; }
    public string? CustomKeyStoreType { get; set; }
    public string? XksProxyUriEndpoint { get; set; }
    public string? XksProxyUriPath { get; set; }
    public string? XksProxyVpcEndpointServiceName { get; set; }
    public string? XksProxyVpcEndpointServiceOwner { get; set; }
    public XksProxyAuthenticationCredential? XksProxyAuthenticationCredential { get; set; }
    public string? XksProxyConnectivity { get; set; }

    public void Validate(ValidationErrors e)
    {
        e.Required(CustomKeyStoreName, "customKeyStoreName");
        e.Length(CustomKeyStoreName, "customKeyStoreName", 1, 256);
        CustomKeyStoreMembers.ClusterId(e, CloudHsmClusterId);
        e.Length(TrustAnchorCertificate, "trustAnchorCertificate", 1, 5000);
        CustomKeyStoreMembers.Password(e, KeyStorePassword);
        e.Enum(CustomKeyStoreType, "customKeyStoreType", ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]);
        CustomKeyStoreMembers.Xks(e, XksProxyUriEndpoint, XksProxyUriPath, XksProxyVpcEndpointServiceName, XksProxyConnectivity);
    }
}

public sealed class XksProxyAuthenticationCredential
{
    public string? AccessKeyId { get; set; }
    public string? RawSecretAccessKey { get; set; }
}

public sealed class CreateCustomKeyStoreResponse
{
    public string? CustomKeyStoreId { get; set; }
}

/// <summary>Connect, Disconnect and DeleteCustomKeyStore: their only member is CustomKeyStoreId.</summary>
public sealed class CustomKeyStoreIdRequest : IValidatable
{
    public string? CustomKeyStoreId { get; set; }

    public void Validate(ValidationErrors e)
    {
        e.Required(CustomKeyStoreId, "customKeyStoreId");
        e.Length(CustomKeyStoreId, "customKeyStoreId", 1, 64);
    }
}

public sealed class DescribeCustomKeyStoresRequest : IValidatable
{
    public string? CustomKeyStoreId { get; set; }
    public string? CustomKeyStoreName { get; set; }
    public int? Limit { get; set; }
    public string? Marker { get; set; }

    public void Validate(ValidationErrors e)
    {
        e.Length(CustomKeyStoreId, "customKeyStoreId", 1, 64);
        e.Length(CustomKeyStoreName, "customKeyStoreName", 1, 256);
        Members.Paging(e, Limit, Marker);
    }
}

public sealed class DescribeCustomKeyStoresResponse
{
    public List<CustomKeyStoresListEntry>? CustomKeyStores { get; set; }
    public string? NextMarker { get; set; }
    public bool Truncated { get; set; }
}

public sealed class CustomKeyStoresListEntry
{
    public string? CustomKeyStoreId { get; set; }
    public string? CustomKeyStoreName { get; set; }
    public string? CloudHsmClusterId { get; set; }
    public string? TrustAnchorCertificate { get; set; }
    public string? ConnectionState { get; set; }
    public string? ConnectionErrorCode { get; set; }
    public DateTimeOffset? CreationDate { get; set; }
    public string? CustomKeyStoreType { get; set; }
    public XksProxyConfiguration? XksProxyConfiguration { get; set; }
}

/// <summary>An external key store's proxy settings as DescribeCustomKeyStores shows them (never the secret).</summary>
public sealed class XksProxyConfiguration
{
    public string? AccessKeyId { get; set; }
    public string? Connectivity { get; set; }
    public string? UriEndpoint { get; set; }
    public string? UriPath { get; set; }
    public string? VpcEndpointServiceName { get; set; }
}

public sealed class UpdateCustomKeyStoreRequest : IValidatable
{
    public string? CustomKeyStoreId { get; set; }
    public string? NewCustomKeyStoreName { get; set; }
    public string? KeyStorePassword { get; set; }
    public string? CloudHsmClusterId { get; set; }
    public string? XksProxyUriEndpoint { get; set; }
    public string? XksProxyUriPath { get; set; }
    public string? XksProxyVpcEndpointServiceName { get; set; }
    public string? XksProxyVpcEndpointServiceOwner { get; set; }
    public XksProxyAuthenticationCredential? XksProxyAuthenticationCredential { get; set; }
    public string? XksProxyConnectivity { get; set; }

    public void Validate(ValidationErrors e)
    {
        e.Required(CustomKeyStoreId, "customKeyStoreId");
        e.Length(CustomKeyStoreId, "customKeyStoreId", 1, 64);
        e.Length(NewCustomKeyStoreName, "newCustomKeyStoreName", 1, 256);
        CustomKeyStoreMembers.Password(e, KeyStorePassword);
        CustomKeyStoreMembers.ClusterId(e, CloudHsmClusterId);
        CustomKeyStoreMembers.Xks(e, XksProxyUriEndpoint, XksProxyUriPath, XksProxyVpcEndpointServiceName, XksProxyConnectivity);
    }
}

internal static class CustomKeyStoreMembers
{
    public static void ClusterId(ValidationErrors e, string? value) => e.Length(value, "cloudHsmClusterId", 19, 24);

    /// <summary>The XKS proxy members Create and UpdateCustomKeyStore share.</summary>
    public static void Xks(ValidationErrors e, string? endpoint, string? path, string? vpcService, string? connectivity)
    {
        e.Length(endpoint, "xksProxyUriEndpoint", 10, 128);
        e.Length(path, "xksProxyUriPath", 10, 128);
        e.Length(vpcService, "xksProxyVpcEndpointServiceName", 20, 64);
        e.Enum(connectivity, "xksProxyConnectivity", ["PUBLIC_ENDPOINT", "VPC_ENDPOINT_SERVICE"]);
    }

    /// <summary>KeyStorePassword is sensitive: its value never appears in an error.</summary>
    public static void Password(ValidationErrors e, string? value)
    {
        if (value is not null && value.Length is < 7 or > 32)
            e.AddHidden("keyStorePassword", "Member must have length between 7 and 32");
    }
}
