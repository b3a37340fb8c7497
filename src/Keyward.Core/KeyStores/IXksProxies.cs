using Keyward.Protocol.Xks;

namespace Keyward.Core.KeyStores;

/// <summary>
/// Opens connections to the XKS proxies of external key stores. Implemented over HTTPS and SigV4 by
/// Keyward.Xks; <see cref="None"/> when the server was built without it.
/// </summary>
public interface IXksProxies
{
    /// <summary>A connection to the proxy at <paramref name="address"/> signing with the credential given (the caller zeroes <paramref name="secret"/>).</summary>
    IXksProxy Open(XksProxyAddress address, string accessKeyId, ReadOnlySpan<byte> secret);

    /// <summary>Why an endpoint cannot be used, or null: a scheme other than https (unless plain HTTP is allowed), a path, a query.</summary>
    string? CheckEndpoint(string uriEndpoint);

    public static IXksProxies None { get; } = new NoProxies();

    private sealed class NoProxies : IXksProxies
    {
        public IXksProxy Open(XksProxyAddress address, string accessKeyId, ReadOnlySpan<byte> secret) =>
            throw new XksProxyException(XksProxyFailure.Unreachable, "External key stores are not available in this build.");

        public string? CheckEndpoint(string uriEndpoint) => "External key stores are not available in this build.";
    }
}

/// <summary>
/// Where an external key store's proxy answers: https://host[:port] and the path that ends in /kms/xks/v1; and the
/// Region of the store, which signs its requests (the KMS Region in the SigV4 scope; null: the home Region).
/// </summary>
public sealed record XksProxyAddress(string UriEndpoint, string UriPath, string? Region = null);

/// <summary>
/// One external key store's proxy, as AWS KMS calls it: every call carries requestMetadata, times out after
/// 250 ms and is retried once on a network timeout. Failures are <see cref="XksProxyException"/>s. The ciphertext
/// of <see cref="EncryptAsync"/> is an envelope holding everything the proxy returned (IV, tag, ciphertextMetadata)
/// that <see cref="DecryptAsync"/> takes back; neither is ever logged.
/// </summary>
public interface IXksProxy : IDisposable
{
    Task<XksProxyHealth> HealthAsync(XksCall call, CancellationToken ct);

    Task<XksKeyMetadataResponse> GetKeyMetadataAsync(string xksKeyId, XksCall call, CancellationToken ct);

    Task<byte[]> EncryptAsync(string xksKeyId, XksCall call, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, CancellationToken ct);

    /// <summary>The plaintext of an envelope from <see cref="EncryptAsync"/>; the caller zeroes it. A malformed envelope is InvalidCiphertextException from the proxy's side of things.</summary>
    Task<byte[]> DecryptAsync(string xksKeyId, XksCall call, ReadOnlyMemory<byte> envelope, ReadOnlyMemory<byte> aad, CancellationToken ct);
}

/// <summary>The requestMetadata of one call: the KMS operation, its request id, the caller and the KMS key (none for health).</summary>
public readonly record struct XksCall(string KmsOperation, string KmsRequestId, string AwsPrincipalArn, string? KmsKeyArn);

/// <summary>GetHealthStatus's answer, reduced to what KMS acts on.</summary>
public sealed record XksProxyHealth(int FleetSize, int Ekms, int Unavailable)
{
    /// <summary>Every external key manager behind the proxy is UNAVAILABLE (AWS then refuses to create or connect the store).</summary>
    public bool AllUnavailable => Unavailable == Ekms;
}

public enum XksProxyFailure
{
    /// <summary>No connection (refused, reset, name not resolved).</summary>
    Unreachable,
    /// <summary>The TLS handshake failed (certificate not trusted, wrong name, protocol).</summary>
    Tls,
    /// <summary>No answer within 250 ms, twice.</summary>
    Timeout,
    /// <summary>An answer that does not follow the XKS Proxy API.</summary>
    InvalidResponse,
    /// <summary>The proxy answered with one of its error names (<see cref="XksProxyException.ErrorName"/>).</summary>
    Refused,
}

/// <summary>A failed call to an XKS proxy. The message is for the server log and names no secret.</summary>
public sealed class XksProxyException(XksProxyFailure failure, string message) : Exception(message)
{
    public XksProxyFailure Failure { get; } = failure;
    public XksErrorName? ErrorName { get; init; }
}
