using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Keyward.Core.KeyStores;
using Keyward.Protocol;
using Keyward.Protocol.SigV4;
using Keyward.Protocol.Xks;

namespace Keyward.Xks;

/// <summary>
/// The KMS side of an external key store: calls an XKS proxy (Keyward's or any vendor's) as AWS KMS does. Requests
/// are SigV4-signed for service kms-xks-proxy over host and x-amz-date; each attempt times out after 250 ms and a
/// network timeout is retried once (KMS developer guide, "Monitoring external key stores"). Every answer is checked
/// against the specification (lengths, Base64, the CDIV when asked for); a failure is an <see cref="XksProxyException"/>
/// whose kind the service maps to AWS's errors. Never logs or carries plaintext.
/// </summary>
internal sealed class XksClient(HttpClient http, Uri endpoint, string uriPath, string accessKeyId, string secretAccessKey, string region, TimeProvider time,
    TimeSpan? attemptTimeout = null)
{
    /// <summary>AWS KMS's timeout for one call to an XKS proxy.</summary>
    public static readonly TimeSpan DefaultAttemptTimeout = TimeSpan.FromMilliseconds(250);

    private readonly TimeSpan _attemptTimeout = attemptTimeout ?? DefaultAttemptTimeout;

    public async Task<XksHealthResponse> HealthAsync(string kmsOperation, string kmsRequestId, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new XksHealthRequest { RequestMetadata = new() { KmsOperation = kmsOperation, KmsRequestId = kmsRequestId } },
            XksJsonContext.Default.XksHealthRequest);
        var r = await CallAsync("health", body, XksJsonContext.Default.XksHealthResponse, ct);
        if (r.XksProxyFleetSize < 1 || r.EkmFleetDetails is not { Count: >= 1 and <= 10 } || r.EkmFleetDetails.Any(d => d.HealthStatus is not ("ACTIVE" or "DEGRADED" or "UNAVAILABLE")))
            throw Invalid("GetHealthStatus");
        return r;
    }

    public async Task<XksKeyMetadataResponse> GetKeyMetadataAsync(string keyId, XksRequestMetadata metadata, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new XksKeyMetadataRequest { RequestMetadata = metadata }, XksJsonContext.Default.XksKeyMetadataRequest);
        var r = await CallAsync($"keys/{keyId}/metadata", body, XksJsonContext.Default.XksKeyMetadataResponse, ct);
        if (r.KeySpec is null || r.KeyUsage is null || r.KeyStatus is not ("ENABLED" or "DISABLED")) throw Invalid("GetKeyMetadata");
        return r;
    }

    /// <summary>Encrypt through the proxy; with <paramref name="cdiv"/> the response's CDIV is checked.</summary>
    public async Task<XksEncryptResponse> EncryptAsync(string keyId, XksRequestMetadata metadata, byte[] plaintext, byte[]? aad, bool cdiv, CancellationToken ct)
    {
        var request = new XksEncryptRequest
        {
            RequestMetadata = metadata, Plaintext = plaintext, AdditionalAuthenticatedData = aad, EncryptionAlgorithm = "AES_GCM",
            CiphertextDataIntegrityValueAlgorithm = cdiv ? "SHA_256" : null,
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(request, XksJsonContext.Default.XksEncryptRequest);
        try
        {
            var r = await CallAsync($"keys/{keyId}/encrypt", body, XksJsonContext.Default.XksEncryptResponse, ct);
            if (r.Ciphertext is null || r.Ciphertext.Length != plaintext.Length || r.InitializationVector is not { Length: 12 or 16 }
                || r.AuthenticationTag is not { Length: 16 } || r.CiphertextMetadata is { Length: > 20 })
                throw Invalid("Encrypt");
            if (cdiv)
            {
                var expected = XksIntegrity.Cdiv(aad ?? [], r.CiphertextMetadata ?? [], r.InitializationVector, r.Ciphertext, r.AuthenticationTag);
                if (r.CiphertextDataIntegrityValue is null || !ConstantTime.AreEqual(expected, r.CiphertextDataIntegrityValue)) throw Invalid("Encrypt");
            }
            return r;
        }
        finally { CryptographicOperations.ZeroMemory(body); }
    }

    public async Task<byte[]> DecryptAsync(string keyId, XksRequestMetadata metadata, XksEncryptResponse sealedData, byte[]? aad, CancellationToken ct)
    {
        var request = new XksDecryptRequest
        {
            RequestMetadata = metadata, Ciphertext = sealedData.Ciphertext, CiphertextMetadata = sealedData.CiphertextMetadata, EncryptionAlgorithm = "AES_GCM",
            AdditionalAuthenticatedData = aad, AuthenticationTag = sealedData.AuthenticationTag, InitializationVector = sealedData.InitializationVector,
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(request, XksJsonContext.Default.XksDecryptRequest);
        var r = await CallAsync($"keys/{keyId}/decrypt", body, XksJsonContext.Default.XksDecryptResponse, ct);
        if (r.Plaintext is null || r.Plaintext.Length != sealedData.Ciphertext.Length) throw Invalid("Decrypt");
        return r.Plaintext;
    }

    private async Task<T> CallAsync<T>(string operation, byte[] body, JsonTypeInfo<T> responseType, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_attemptTimeout);
            try
            {
                using var request = Sign(operation, body);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token);
                try
                {
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        try { return JsonSerializer.Deserialize(bytes, responseType) ?? throw Invalid(operation); }
                        catch (JsonException) { throw Invalid(operation); }
                    }
                    throw Refused(response.StatusCode, bytes, operation);
                }
                finally { CryptographicOperations.ZeroMemory(bytes); }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // A network timeout: retried once, as KMS does.
                if (attempt == 0) continue;
                throw new XksProxyException(XksProxyFailure.Timeout, $"The XKS proxy did not answer {operation} within {_attemptTimeout.TotalMilliseconds:F0} ms (twice).");
            }
            catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.SecureConnectionError)
            {
                throw new XksProxyException(XksProxyFailure.Tls, $"The TLS handshake with the XKS proxy failed for {operation}.");
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException or IOException || e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
            {
                throw new XksProxyException(XksProxyFailure.Unreachable, $"The XKS proxy could not be reached for {operation}: {e.HttpRequestError}.");
            }
        }
    }

    private HttpRequestMessage Sign(string operation, byte[] body)
    {
        var url = new Uri(endpoint, uriPath.TrimEnd('/') + "/" + operation);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var host = url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
        var (date, authorization) = SigV4Signer.Sign("POST", url.AbsolutePath, "", new Dictionary<string, string> { ["host"] = host }, body,
            accessKeyId, secretAccessKey, region, "kms-xks-proxy", time.GetUtcNow());
        request.Headers.TryAddWithoutValidation("X-Amz-Date", date);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    private static XksProxyException Invalid(string operation) =>
        new(XksProxyFailure.InvalidResponse, $"The XKS proxy's response to {operation} does not follow the XKS Proxy API.");

    private static XksProxyException Refused(HttpStatusCode status, byte[] body, string operation)
    {
        XksError? error = null;
        try { error = JsonSerializer.Deserialize(body, XksJsonContext.Default.XksError); }
        catch (JsonException) { }
        if (XksErrors.Parse(error?.ErrorName) is not { } name)
            throw new XksProxyException(XksProxyFailure.InvalidResponse, $"The XKS proxy answered {operation} with HTTP {(int)status} and a body that is not an XKS error.");
        return new XksProxyException(XksProxyFailure.Refused, $"The XKS proxy refused {operation}: {name}.") { ErrorName = name };
    }
}
