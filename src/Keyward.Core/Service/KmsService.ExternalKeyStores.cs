using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Operations;
using Keyward.Protocol.Xks;

namespace Keyward.Core.Service;

/// <summary>
/// External key stores (EXTERNAL_KEY_STORE): a custom key store whose keys live in an external key manager behind
/// an XKS proxy. The store record holds the proxy's address and credential (the secret wrapped by the barrier);
/// connecting opens a client and checks GetHealthStatus. A KMS key in the store has KMS-side material of its own
/// (the software store's) and an external key id: every encryption is double, first under the KMS-side material,
/// then by the proxy under the external key (<see cref="SealExternalAsync"/>), so neither side can decrypt alone.
/// </summary>
public sealed partial class KmsService
{
    // AWS's model patterns for XksProxyUriPath and XksKeyId; the credential's character sets from the XKS specification.
    private static readonly Regex UriPathPattern = new(@"^(/[a-zA-Z0-9/_-]+/kms/xks/v\d{1,2}|/kms/xks/v\d{1,2})$", RegexOptions.CultureInvariant);
    private static readonly Regex XksKeyIdPattern = new(@"^[a-zA-Z0-9._-]{1,128}$", RegexOptions.CultureInvariant);
    private static readonly Regex AccessKeyIdPattern = new("^[A-Z2-7]{20,30}$", RegexOptions.CultureInvariant);
    private static readonly Regex SecretPattern = new("^[a-zA-Z0-9/+=]{43,64}$", RegexOptions.CultureInvariant);

    private async ValueTask<CreateCustomKeyStoreResponse> CreateExternalKeyStoreAsync(Caller caller, CreateCustomKeyStoreRequest request, CancellationToken ct)
    {
        if (request.CloudHsmClusterId is not null || request.TrustAnchorCertificate is not null || request.KeyStorePassword is not null)
            throw KmsException.Validation("CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword are not valid for an EXTERNAL_KEY_STORE custom key store.");
        if (request.XksProxyUriEndpoint is null || request.XksProxyUriPath is null || request.XksProxyAuthenticationCredential is null || request.XksProxyConnectivity is null)
            throw KmsException.Validation("An EXTERNAL_KEY_STORE custom key store needs XksProxyUriEndpoint, XksProxyUriPath, XksProxyAuthenticationCredential and XksProxyConnectivity.");
        CheckConnectivity(request.XksProxyConnectivity, request.XksProxyVpcEndpointServiceName);
        CheckProxyAddress(request.XksProxyUriEndpoint, request.XksProxyUriPath);
        var (accessKeyId, secret) = CheckCredential(request.XksProxyAuthenticationCredential);
        try
        {
            if ((await StoresInRegionAsync(caller, ct)).Any(s => s.Name == request.CustomKeyStoreName)) throw NameInUse(request.CustomKeyStoreName!);
            await RequireProxyAddressFreeAsync(request.XksProxyUriEndpoint, request.XksProxyUriPath, exceptStoreId: null, ct);
            var address = new XksProxyAddress(request.XksProxyUriEndpoint, request.XksProxyUriPath, RegionOf(caller));
            await CheckProxyAsync(caller, address, accessKeyId, secret, ct);

            var id = CustomKeyStores.NewId();
            var record = new CustomKeyStoreRecord
            {
                CustomKeyStoreId = id,
                AccountId = caller.AccountId,
                Region = RegionOf(caller),
                Name = request.CustomKeyStoreName!,
                StoreType = CustomKeyStores.External,
                XksProxyUriEndpoint = address.UriEndpoint,
                XksProxyUriPath = address.UriPath,
                XksProxyConnectivity = request.XksProxyConnectivity,
                XksAccessKeyId = accessKeyId,
                XksSecret = barrier.Wrap(secret, CustomKeyStores.XksSecretPurpose, id),
                ConnectionState = CustomKeyStores.Disconnected,
                CreationDate = Now(),
                Version = 1,
            };
            return await StoreNewAsync(record, ct);
        }
        finally { CryptographicOperations.ZeroMemory(secret); }
    }

    /// <summary>
    /// UpdateCustomKeyStore for an external key store. The name, path and credential may change while it is
    /// connected; the endpoint and connectivity only while it is DISCONNECTED. New proxy settings are checked with
    /// GetHealthStatus before they are stored, and a connected store then uses them at once.
    /// </summary>
    private async ValueTask<CustomKeyStoreRecord?> UpdateExternalKeyStoreAsync(Caller caller, CustomKeyStoreRecord store, UpdateCustomKeyStoreRequest request, CancellationToken ct)
    {
        if (request.CloudHsmClusterId is not null || request.KeyStorePassword is not null)
            throw KmsException.Validation("CloudHsmClusterId and KeyStorePassword are not valid for an EXTERNAL_KEY_STORE custom key store.");
        var endpoint = request.XksProxyUriEndpoint ?? store.XksProxyUriEndpoint!;
        var path = request.XksProxyUriPath ?? store.XksProxyUriPath!;
        var connectivity = request.XksProxyConnectivity ?? store.XksProxyConnectivity!;
        var needsDisconnect = endpoint != store.XksProxyUriEndpoint || connectivity != store.XksProxyConnectivity;
        if (needsDisconnect && store.ConnectionState != CustomKeyStores.Disconnected)
            throw Faults.StoreState($"Custom key store {store.CustomKeyStoreId} is {store.ConnectionState}. Disconnect it before changing XksProxyUriEndpoint or XksProxyConnectivity.");
        if (store.ConnectionState is CustomKeyStores.Connecting or CustomKeyStores.Disconnecting)
            throw Faults.StoreState($"Custom key store {store.CustomKeyStoreId} is {store.ConnectionState}; try again when it is CONNECTED or DISCONNECTED.");
        CheckConnectivity(connectivity, request.XksProxyVpcEndpointServiceName);
        CheckProxyAddress(endpoint, path);

        var next = store;
        if (request.NewCustomKeyStoreName is { } name && name != store.Name)
        {
            if ((await StoresInRegionAsync(caller, ct)).Any(s => s.Name == name)) throw NameInUse(name);
            next = next with { Name = name };
        }
        var proxyChanged = endpoint != store.XksProxyUriEndpoint || path != store.XksProxyUriPath || request.XksProxyAuthenticationCredential is not null;
        if (!proxyChanged) return ReferenceEquals(next, store) ? store : await WriteStoreAsync(next with { XksProxyConnectivity = connectivity }, ct);

        if (endpoint != store.XksProxyUriEndpoint || path != store.XksProxyUriPath)
            await RequireProxyAddressFreeAsync(endpoint, path, store.CustomKeyStoreId, ct);
        var (accessKeyId, secret) = request.XksProxyAuthenticationCredential is { } credential ? CheckCredential(credential) : (store.XksAccessKeyId!, UnwrapXksSecret(store));
        try
        {
            await CheckProxyAsync(caller, new XksProxyAddress(endpoint, path, store.Region), accessKeyId, secret, ct);
            next = next with
            {
                XksProxyUriEndpoint = endpoint, XksProxyUriPath = path, XksProxyConnectivity = connectivity, XksAccessKeyId = accessKeyId,
                XksSecret = barrier.Wrap(secret, CustomKeyStores.XksSecretPurpose, store.CustomKeyStoreId),
            };
        }
        finally { CryptographicOperations.ZeroMemory(secret); }
        var stored = await WriteStoreAsync(next, ct);
        // A connected store switches to the new settings now (other nodes follow on their next sync).
        if (stored is { ConnectionState: CustomKeyStores.Connected })
        {
            _stores.Close(stored.CustomKeyStoreId);
            await ConnectStoreAsync(stored, healthCheck: false);
        }
        return stored;
    }

    /// <summary>Opens the proxy client of a store and, when asked, checks GetHealthStatus; AWS's ConnectionErrorCode on failure.</summary>
    private async Task<(string? Error, bool Added)> ConnectExternalAsync(CustomKeyStoreRecord store, bool healthCheck)
    {
        IXksProxy proxy;
        byte[]? secret = null;
        try
        {
            secret = UnwrapXksSecret(store);
            proxy = xksProxies.Open(new XksProxyAddress(store.XksProxyUriEndpoint!, store.XksProxyUriPath!, store.Region), store.XksAccessKeyId!, secret);
        }
        catch (XksProxyException e) { return (ConnectionErrorCode(e), false); }
        finally { if (secret is not null) CryptographicOperations.ZeroMemory(secret); }
        if (healthCheck)
        {
            try
            {
                var health = await proxy.HealthAsync(new XksCall("ConnectCustomKeyStore", Guid.NewGuid().ToString("D"), "", null), CancellationToken.None);
                if (health.AllUnavailable)
                {
                    proxy.Dispose();
                    return ("XKS_PROXY_NOT_REACHABLE", false);
                }
            }
            catch (XksProxyException e)
            {
                proxy.Dispose();
                return (ConnectionErrorCode(e), false);
            }
        }
        if (_stores.TryAdd(store.CustomKeyStoreId, proxy, XksSettings(store))) return (null, true);
        proxy.Dispose();
        return (null, false);
    }

    /// <summary>CreateKey in an external key store: the external key must exist and be an enabled AES-256 key for ENCRYPT and DECRYPT.</summary>
    private async ValueTask CheckExternalKeyAsync(Caller caller, string storeId, string xksKeyId, string keyArn, CancellationToken ct)
    {
        var record = await GetStoreAsync(caller, storeId, ct);
        if (record.StoreType != CustomKeyStores.External)
            throw Faults.Unsupported($"Custom key store {storeId} is not an external key store; Origin EXTERNAL_KEY_STORE needs one.");
        if (record.ConnectionState != CustomKeyStores.Connected || !_stores.TryGetProxy(storeId, out var proxy))
            throw Faults.StoreState($"Custom key store {storeId} is {record.ConnectionState}; it must be CONNECTED.");
        XksKeyMetadataResponse metadata;
        try { metadata = await proxy.GetKeyMetadataAsync(xksKeyId, Call(caller, keyArn), ct); }
        catch (XksProxyException e) when (e.ErrorName == XksErrorName.KeyNotFoundException)
        {
            throw new KmsException(KmsErrorCode.XksKeyNotFoundException, $"The external key store proxy did not find an external key with ID {xksKeyId}.");
        }
        catch (XksProxyException e) when (e.ErrorName == XksErrorName.InvalidStateException)
        {
            throw new KmsException(KmsErrorCode.XksKeyInvalidConfigurationException, $"The external key {xksKeyId} is not enabled in the external key manager.");
        }
        catch (XksProxyException e) { throw Faults.StoreState($"Custom key store {storeId} could not get the external key's metadata from its proxy: {ProxyProblem(e)}"); }
        if (metadata.KeySpec != "AES_256" || metadata.KeyUsage is null || !metadata.KeyUsage.Contains("ENCRYPT") || !metadata.KeyUsage.Contains("DECRYPT") || metadata.KeyStatus != "ENABLED")
            throw new KmsException(KmsErrorCode.XksKeyInvalidConfigurationException,
                $"The external key {xksKeyId} must be an enabled 256-bit AES key (AES_256) whose key usage includes ENCRYPT and DECRYPT.");
    }

    /// <summary>The outer layer of a double encryption: the KMS-side payload encrypted by the external key, as an envelope.</summary>
    private async ValueTask<byte[]> SealExternalAsync(Caller caller, KeyRecord key, ReadOnlyMemory<byte> inner, ReadOnlyMemory<byte> aad, CancellationToken ct)
    {
        var proxy = ProxyFor(key);
        try { return await proxy.EncryptAsync(key.XksKeyId!, Call(caller, Arn(key)), inner, aad, ct); }
        catch (XksProxyException e) { throw Faults.FromXksProxy(e, Arn(key), key.XksKeyId!); }
    }

    /// <summary>The KMS-side payload back from the envelope of <see cref="SealExternalAsync"/>.</summary>
    private async ValueTask<byte[]> OpenExternalAsync(Caller caller, KeyRecord key, ReadOnlyMemory<byte> envelope, ReadOnlyMemory<byte> aad, CancellationToken ct)
    {
        var proxy = ProxyFor(key);
        try { return await proxy.DecryptAsync(key.XksKeyId!, Call(caller, Arn(key)), envelope, aad, ct); }
        catch (XksProxyException e) { throw Faults.FromXksProxy(e, Arn(key), key.XksKeyId!); }
    }

    /// <summary>The connected proxy of a key's store; KMSInvalidStateException when the store is not connected (at once after DisconnectCustomKeyStore).</summary>
    private IXksProxy ProxyFor(KeyRecord key) =>
        _stores.TryGetProxy(key.CustomKeyStoreId!, out var proxy) ? proxy : throw Faults.StoreUnavailable(Arn(key), key.CustomKeyStoreId!);

    /// <summary>requestMetadata as AWS KMS fills it: the caller's ARN, the operation, this request's id and the KMS key's ARN.</summary>
    private static XksCall Call(Caller caller, string? keyArn) =>
        new(caller.Operation.ToString(), caller.RequestId ?? Guid.NewGuid().ToString("D"), caller.Arn, keyArn);

    /// <summary>GetHealthStatus with the settings given, as Create and UpdateCustomKeyStore do before storing them.</summary>
    private async ValueTask CheckProxyAsync(Caller caller, XksProxyAddress address, string accessKeyId, byte[] secret, CancellationToken ct)
    {
        IXksProxy proxy;
        try { proxy = xksProxies.Open(address, accessKeyId, secret); }
        catch (XksProxyException e) { throw Faults.FromXksProxyCheck(e); }
        using (proxy)
        {
            XksProxyHealth health;
            try { health = await proxy.HealthAsync(Call(caller, keyArn: null), ct); }
            catch (XksProxyException e) { throw Faults.FromXksProxyCheck(e); }
            if (health.AllUnavailable)
                throw new KmsException(KmsErrorCode.XksProxyUriUnreachableException,
                    "The external key store proxy reports every external key manager behind it as UNAVAILABLE.");
        }
    }

    private void CheckProxyAddress(string endpoint, string path)
    {
        if (xksProxies.CheckEndpoint(endpoint) is { } problem) throw KmsException.Validation(problem);
        if (!UriPathPattern.IsMatch(path))
            throw KmsException.Validation("XksProxyUriPath must be /kms/xks/v1, optionally after a prefix of letters, digits, '/', '_' and '-' (for example /example-prefix/kms/xks/v1).");
    }

    private static void CheckConnectivity(string connectivity, string? vpcEndpointServiceName)
    {
        if (connectivity == CustomKeyStores.VpcEndpointService)
            throw new KmsException(KmsErrorCode.XksProxyVpcEndpointServiceNotFoundException,
                "VPC_ENDPOINT_SERVICE connectivity needs an Amazon VPC endpoint service, which this server cannot reach. Use PUBLIC_ENDPOINT with an https:// XksProxyUriEndpoint.");
        if (!string.IsNullOrEmpty(vpcEndpointServiceName))
            throw KmsException.Validation("XksProxyVpcEndpointServiceName is valid only with XksProxyConnectivity VPC_ENDPOINT_SERVICE.");
    }

    /// <summary>The credential's two members, checked without ever echoing them; the secret as bytes the caller zeroes.</summary>
    private static (string AccessKeyId, byte[] Secret) CheckCredential(XksProxyAuthenticationCredential credential)
    {
        if (credential.AccessKeyId is not { } id || !AccessKeyIdPattern.IsMatch(id))
            throw KmsException.Validation("XksProxyAuthenticationCredential.AccessKeyId must be 20 to 30 characters of A-Z and 2-7.");
        if (credential.RawSecretAccessKey is not { } secret || !SecretPattern.IsMatch(secret))
            throw KmsException.Validation("XksProxyAuthenticationCredential.RawSecretAccessKey must be 43 to 64 characters of a-z, A-Z, 0-9, '/', '+' and '='.");
        return (id, Encoding.UTF8.GetBytes(secret));
    }

    /// <summary>AWS: each external key store in a Region has its own proxy address (endpoint and path together).</summary>
    private async ValueTask RequireProxyAddressFreeAsync(string endpoint, string path, string? exceptStoreId, CancellationToken ct)
    {
        foreach (var other in await storage.ListCustomKeyStoresAsync(null, ct))
            if (other.CustomKeyStoreId != exceptStoreId && other.XksProxyUriEndpoint == endpoint && other.XksProxyUriPath == path)
                throw new KmsException(KmsErrorCode.XksProxyUriInUseException,
                    $"The proxy address {endpoint}{path} is already used by another external key store in this Region.");
    }

    /// <summary>The proxy credential's secret in the clear; the caller zeroes it.</summary>
    private byte[] UnwrapXksSecret(CustomKeyStoreRecord store) => UnwrapStoreSecret(store.XksSecret, CustomKeyStores.XksSecretPurpose, store.CustomKeyStoreId);

    /// <summary>An AWS_CLOUDHSM store's Create and Update take none of the XksProxy members.</summary>
    private static void RequireNoXksMembers(params object?[] members)
    {
        if (members.Any(m => m is not null))
            throw KmsException.Validation("The XksProxy members are valid only for an EXTERNAL_KEY_STORE custom key store.");
    }

    /// <summary>What a connection was opened with, to notice a change made through another node (the secret only as a digest of its wrapping).</summary>
    private static string XksSettings(CustomKeyStoreRecord s) =>
        $"{s.XksProxyUriEndpoint}\n{s.XksProxyUriPath}\n{s.XksAccessKeyId}\n{Convert.ToHexString(SHA256.HashData(s.XksSecret ?? []))}";

    /// <summary>AWS's ConnectionErrorCode for a failed connection to an XKS proxy.</summary>
    private static string ConnectionErrorCode(XksProxyException e) => e.Failure switch
    {
        XksProxyFailure.Unreachable => "XKS_PROXY_NOT_REACHABLE",
        XksProxyFailure.Timeout => "XKS_PROXY_TIMED_OUT",
        XksProxyFailure.Tls => "XKS_PROXY_INVALID_TLS_CONFIGURATION",
        XksProxyFailure.InvalidResponse => "XKS_PROXY_INVALID_RESPONSE",
        _ => e.ErrorName switch
        {
            XksErrorName.AuthenticationFailedException => "INVALID_CREDENTIALS",
            XksErrorName.AccessDeniedException => "XKS_PROXY_ACCESS_DENIED",
            XksErrorName.InvalidUriPathException => "XKS_PROXY_INVALID_CONFIGURATION",
            _ => "XKS_PROXY_INVALID_RESPONSE",
        },
    };

    private static string ProxyProblem(XksProxyException e) => e.Failure switch
    {
        XksProxyFailure.Refused => $"it answered {e.ErrorName}.",
        XksProxyFailure.Timeout => "it did not answer in time.",
        XksProxyFailure.Tls => "the TLS handshake failed.",
        XksProxyFailure.InvalidResponse => "its answer does not follow the XKS Proxy API.",
        _ => "it cannot be reached.",
    };
}
