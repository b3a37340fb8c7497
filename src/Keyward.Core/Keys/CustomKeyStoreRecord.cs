namespace Keyward.Core.Keys;

/// <summary>
/// A custom key store as stored. <see cref="Password"/> is the crypto user's PIN wrapped by the
/// barrier (purpose custom-key-store-password, identity the store id); <see cref="XksSecret"/> is the
/// proxy credential's secret access key wrapped the same way (purpose xks-proxy-secret). Neither is
/// ever stored or returned in the clear. <see cref="ConnectionState"/> and <see cref="ConnectionErrorCode"/>
/// hold AWS's wire names. Updated with optimistic concurrency on <see cref="Version"/>.
/// </summary>
public sealed record CustomKeyStoreRecord
{
    public required string CustomKeyStoreId { get; init; }
    public required string AccountId { get; init; }
    /// <summary>The Region the store belongs to; its name is unique within its account and Region.</summary>
    public required string Region { get; init; }
    public required string Name { get; init; }
    public required string StoreType { get; init; }
    public string? CloudHsmClusterId { get; init; }
    public string? TrustAnchorCertificate { get; init; }
    public byte[]? Password { get; init; }

    // External key stores (EXTERNAL_KEY_STORE): where the XKS proxy is and how requests to it are signed.
    public string? XksProxyUriEndpoint { get; init; }
    public string? XksProxyUriPath { get; init; }
    public string? XksProxyConnectivity { get; init; }
    public string? XksAccessKeyId { get; init; }
    public byte[]? XksSecret { get; init; }

    public required string ConnectionState { get; init; }
    public string? ConnectionErrorCode { get; init; }
    public required DateTimeOffset CreationDate { get; init; }
    public long Version { get; init; }
}

/// <summary>AWS's ConnectionState and CustomKeyStoreType values.</summary>
public static class CustomKeyStores
{
    public const string CloudHsm = "AWS_CLOUDHSM";
    public const string External = "EXTERNAL_KEY_STORE";

    public const string Connected = "CONNECTED";
    public const string Connecting = "CONNECTING";
    public const string Disconnected = "DISCONNECTED";
    public const string Disconnecting = "DISCONNECTING";
    public const string Failed = "FAILED";

    public const string PasswordPurpose = "custom-key-store-password";
    public const string XksSecretPurpose = "xks-proxy-secret";

    public const string PublicEndpoint = "PUBLIC_ENDPOINT";
    public const string VpcEndpointService = "VPC_ENDPOINT_SERVICE";

    /// <summary>cks- and 17 hex digits, as AWS forms custom key store ids.</summary>
    public static string NewId() => "cks-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(9))[..17];
}
