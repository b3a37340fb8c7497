using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Keyward.Protocol.SigV4;
using Keyward.Protocol.Xks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Keyward.XksProxy;

/// <summary>
/// One XKS request: route `[/prefix]/kms/xks/v1/(health | keys/&lt;id&gt;/(metadata|encrypt|decrypt))` to its tenant
/// (unknown path: InvalidUriPathException), POST only (405 otherwise), read the body (bounded), verify SigV4 for
/// service kms-xks-proxy over the headers the client signed, apply the tenant's rate limit, then run the operation.
/// Every failure is {"errorName","errorMessage"} with the specification's status; the log line carries the
/// kmsRequestId and the latency, never the plaintext.
/// </summary>
internal sealed class XksRequestHandler(XksTenants tenants, XksOperations operations, ILogger logger)
{
    private const string Base = "/kms/xks/v1";
    // 4300 bytes of plaintext and 8192 of AAD in Base64, the other members and their names, with room to spare.
    private const int MaxBody = 64 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var path = context.Features.Get<IHttpRequestFeature>()!.RawTarget ?? "/";
        var operation = "-";
        string? kmsRequestId = null;
        byte[]? body = null;
        try
        {
            var route = Route(path) ?? throw new XksException(XksErrorName.InvalidUriPathException, "The URI path is not an XKS Proxy API path.");
            operation = route.Operation;
            var tenant = tenants.Find(route.Prefix) ?? throw new XksException(XksErrorName.InvalidUriPathException, "The URI path prefix is not configured.");
            if (!HttpMethods.IsPost(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                context.Response.Headers.Allow = "POST";
                return;
            }
            body = await ReadBodyAsync(context);
            var request = context.Request;
            var sig = tenant.Verifier.Verify(new SigV4Request(request.Method, path, string.Empty, name => Header(request.Headers, name), body));
            if (!sig.Succeeded) throw new XksException(XksErrorName.AuthenticationFailedException, "The request signature is not valid.");
            if (!tenant.Limiter.TryTake()) throw new XksException(XksErrorName.ThrottlingException, "The request rate of this URI path prefix is exceeded.");
            if (route.KeyId is { } keyId && !tenant.MayUse(keyId)) throw new XksException(XksErrorName.KeyNotFoundException, "The external key was not found.");
            byte[] response = route.Operation switch
            {
                "health" => Run(body, XksJsonContext.Default.XksHealthRequest, r => { kmsRequestId = r.RequestMetadata?.KmsRequestId; return operations.Health(); },
                    XksJsonContext.Default.XksHealthResponse),
                "metadata" => Run(body, XksJsonContext.Default.XksKeyMetadataRequest, r => { kmsRequestId = r.RequestMetadata?.KmsRequestId; Authorize(tenant, r.RequestMetadata); return operations.Metadata(route.KeyId!); },
                    XksJsonContext.Default.XksKeyMetadataResponse),
                "encrypt" => Run(body, XksJsonContext.Default.XksEncryptRequest, r => { kmsRequestId = r.RequestMetadata?.KmsRequestId; Authorize(tenant, r.RequestMetadata); return operations.Encrypt(route.KeyId!, r); },
                    XksJsonContext.Default.XksEncryptResponse),
                _ => RunDecrypt(body, route.KeyId!, m => { kmsRequestId = m?.KmsRequestId; Authorize(tenant, m); }),
            };
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = response.Length;
            try { await context.Response.Body.WriteAsync(response); }
            finally { CryptographicOperations.ZeroMemory(response); }
            Log.Served(logger, operation, kmsRequestId ?? "-", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (XksException e)
        {
            Log.Refused(logger, operation, kmsRequestId ?? "-", e.Name.ToString(), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            await WriteErrorAsync(context, e.Name, e.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { }
        catch (Exception e)
        {
            // Details stay in the log (never plaintext: exceptions here carry no request content).
            Log.Failed(logger, e, operation, kmsRequestId ?? "-");
            await WriteErrorAsync(context, XksErrorName.InternalException, "The request could not be completed.");
        }
        finally
        {
            if (body is not null) CryptographicOperations.ZeroMemory(body);
        }
    }

    /// <summary>Checks the required metadata and the tenant's secondary authorization (AccessDeniedException names the rule).</summary>
    private static void Authorize(XksTenants.Tenant tenant, XksRequestMetadata? metadata) => XksAuthorization.Check(tenant.Authorization, Required(metadata));

    private byte[] RunDecrypt(byte[] body, string keyId, Action<XksRequestMetadata?> authorize)
    {
        var request = Parse(body, XksJsonContext.Default.XksDecryptRequest);
        authorize(request.RequestMetadata);
        var plaintext = operations.Decrypt(keyId, request);
        try { return JsonSerializer.SerializeToUtf8Bytes(new XksDecryptResponse(plaintext), XksJsonContext.Default.XksDecryptResponse); }
        finally { CryptographicOperations.ZeroMemory(plaintext); }
    }

    private static byte[] Run<TRequest, TResponse>(byte[] body, JsonTypeInfo<TRequest> requestType, Func<TRequest, TResponse> call, JsonTypeInfo<TResponse> responseType)
    {
        var request = Parse(body, requestType);
        try { return JsonSerializer.SerializeToUtf8Bytes(call(request), responseType); }
        finally { if (request is XksEncryptRequest { Plaintext: { } p }) CryptographicOperations.ZeroMemory(p); }
    }

    private static T Parse<T>(byte[] body, JsonTypeInfo<T> type)
    {
        try { return JsonSerializer.Deserialize(body, type) ?? throw new XksException(XksErrorName.ValidationException, "The request body is not a JSON object."); }
        catch (JsonException) { throw new XksException(XksErrorName.ValidationException, "The request body is not valid JSON of the expected shape (members, types, Base64)."); }
    }

    private static XksRequestMetadata Required(XksRequestMetadata? metadata) =>
        metadata is { AwsPrincipalArn: not null, KmsOperation: not null, KmsRequestId: not null }
            ? metadata
            : throw new XksException(XksErrorName.ValidationException, "requestMetadata needs awsPrincipalArn, kmsOperation and kmsRequestId.");

    /// <summary>The tenant prefix, operation and key id of an XKS path; null for any other path.</summary>
    internal static (string Prefix, string Operation, string? KeyId)? Route(string path)
    {
        var q = path.IndexOf('?');
        if (q >= 0) return null;
        var at = path.IndexOf(Base + "/", StringComparison.Ordinal);
        while (at >= 0)
        {
            var prefix = path[..at];
            var rest = path[(at + Base.Length + 1)..];
            if (rest == "health") return (prefix, "health", null);
            var parts = rest.Split('/');
            if (parts is ["keys", var id, "metadata" or "encrypt" or "decrypt"] && id.Length is > 0 and <= 128
                && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                return (prefix, parts[2], id);
            at = path.IndexOf(Base + "/", at + 1, StringComparison.Ordinal);
        }
        return null;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBody) throw TooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        try
        {
            int n;
            while ((n = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffer.Length + n > MaxBody) throw TooLarge();
                buffer.Write(chunk, 0, n);
            }
            return buffer.ToArray();
        }
        finally
        {
            // The body may hold plaintext: the copies go too.
            CryptographicOperations.ZeroMemory(chunk);
            CryptographicOperations.ZeroMemory(buffer.GetBuffer());
        }
    }

    private static XksException TooLarge() =>
        new(XksErrorName.UnsupportedOperationException, $"The request body exceeds this proxy's limit of {MaxBody} bytes.");

    private static string? Header(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) ? string.Join(',', values.ToArray()) : null;

    private static async Task WriteErrorAsync(HttpContext context, XksErrorName name, string message)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = XksErrors.Status(name);
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new XksError(name.ToString(), message), XksJsonContext.Default.XksError));
    }
}

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "{Operation} kmsRequestId={KmsRequestId} ok in {LatencyMs:F2} ms")]
    public static partial void Served(ILogger logger, string operation, string kmsRequestId, double latencyMs);

    [LoggerMessage(2, LogLevel.Warning, "{Operation} kmsRequestId={KmsRequestId} refused: {ErrorName} in {LatencyMs:F2} ms")]
    public static partial void Refused(ILogger logger, string operation, string kmsRequestId, string errorName, double latencyMs);

    [LoggerMessage(3, LogLevel.Error, "{Operation} kmsRequestId={KmsRequestId} failed")]
    public static partial void Failed(ILogger logger, Exception exception, string operation, string kmsRequestId);

    [LoggerMessage(4, LogLevel.Information, "{Message}")]
    public static partial void Note(ILogger logger, string message);
}
