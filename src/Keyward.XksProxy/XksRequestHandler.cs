using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Keyward.Protocol;
using Keyward.Protocol.Model;
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
        RequestBody? body = null;
        try
        {
            if (path == LoadBalancerHealthPath && HttpMethods.IsGet(context.Request.Method))
            {
                await WriteLoadBalancerHealthAsync(context);
                return;
            }
            var route = Route(path) ?? throw new XksException(XksErrorName.InvalidUriPathException, "The URI path is not an XKS Proxy API path.");
            operation = route.Operation;
            var tenant = tenants.Find(route.Prefix) ?? throw new XksException(XksErrorName.InvalidUriPathException, "The URI path prefix is not configured.");
            var request = context.Request;
            if (!HttpMethods.IsPost(request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                context.Response.Headers.Allow = "POST";
                return;
            }
            if (request.ContentLength > MaxBody) throw TooLarge();
            body = new RequestBody(request.ContentLength);
            if (!await body.ReadAsync(request.Body, MaxBody, context.RequestAborted)) throw TooLarge();
            var sig = tenant.Verifier.Verify(new SigV4Request(request.Method, path, string.Empty, name => Header(request.Headers, name), body.Memory));
            if (!sig.Succeeded) throw new XksException(XksErrorName.AuthenticationFailedException, "The request signature is not valid.");
            if (!tenant.Limiter.TryTake()) throw new XksException(XksErrorName.ThrottlingException, "The request rate of this URI path prefix is exceeded.");
            if (route.KeyId is { } keyId && !tenant.MayUse(keyId)) throw new XksException(XksErrorName.KeyNotFoundException, "The external key was not found.");
            var json = XksJsonContext.Default;
            Action<string?> seen = requestId => kmsRequestId = requestId;
            byte[] response = route.Operation switch
            {
                // Health is exempt from secondary authorization and needs only kmsRequestId and kmsOperation.
                "health" => await RunAsync(body, json.XksHealthRequest, json.XksHealthResponse, null, seen,
                    _ => ValueTask.FromResult(operations.Health())),
                "metadata" => await RunAsync(body, json.XksKeyMetadataRequest, json.XksKeyMetadataResponse, tenant, seen,
                    _ => operations.MetadataAsync(route.KeyId!)),
                "encrypt" => await RunAsync(body, json.XksEncryptRequest, json.XksEncryptResponse, tenant, seen,
                    r => operations.EncryptAsync(route.KeyId!, r)),
                _ => await RunAsync(body, json.XksDecryptRequest, json.XksDecryptResponse, tenant, seen,
                    r => operations.DecryptAsync(route.KeyId!, r)),
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
        catch (BadHttpRequestException e)
        {
            // A body that ends before its Content-Length, or malformed chunking: the client's fault, not the proxy's.
            Log.Refused(logger, operation, kmsRequestId ?? "-", nameof(XksErrorName.ValidationException), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            await WriteErrorAsync(context, XksErrorName.ValidationException, $"The request body could not be read ({e.StatusCode}).");
        }
        catch (Exception e)
        {
            // Details stay in the log (never plaintext: exceptions here carry no request content).
            Log.Failed(logger, e, operation, kmsRequestId ?? "-");
            await WriteErrorAsync(context, XksErrorName.InternalException, "The request could not be completed.");
        }
        finally
        {
            body?.Dispose();
        }
    }

    /// <summary>The unauthenticated check a load balancer polls (GET; no body, no credentials, no HSM details).</summary>
    public const string LoadBalancerHealthPath = "/healthz";

    /// <summary>200 while at least one HSM is ACTIVE or DEGRADED (the deep check, cached as for GetHealthStatus), else 503.</summary>
    private async Task WriteLoadBalancerHealthAsync(HttpContext context)
    {
        var health = operations.Health();
        var serving = health.EkmFleetDetails.Any(d => d.HealthStatus != "UNAVAILABLE");
        context.Response.StatusCode = serving ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(serving ? """{"status":"SERVING"}""" : """{"status":"UNAVAILABLE"}""");
    }

    /// <summary>
    /// Parses the request, hands its kmsRequestId to <paramref name="seen"/> for the log, checks the required metadata
    /// and the tenant's secondary authorization (AccessDeniedException names the rule; null for health, which is
    /// exempt), runs the operation and serializes its answer. Plaintext in the request or the response is zeroed, as
    /// in the KMS dispatcher.
    /// </summary>
    private static async ValueTask<byte[]> RunAsync<TRequest, TResponse>(RequestBody body,
        JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, XksTenants.Tenant? authorizeFor,
        Action<string?> seen, Func<TRequest, ValueTask<TResponse>> call)
        where TRequest : IXksRequest
    {
        var request = Parse(body.Memory.Span, requestType);
        TResponse response;
        try
        {
            seen(request.RequestMetadata?.KmsRequestId);
            if (authorizeFor is not null) XksAuthorization.Check(authorizeFor.Authorization, Required(request.RequestMetadata));
            else if (request.RequestMetadata is not { KmsOperation: not null, KmsRequestId: not null })
                throw new XksException(XksErrorName.ValidationException, "requestMetadata needs kmsOperation and kmsRequestId.");
            response = await call(request);
        }
        finally { (request as ISensitive)?.ZeroSecrets(); }
        try { return JsonSerializer.SerializeToUtf8Bytes(response, responseType); }
        finally { (response as ISensitive)?.ZeroSecrets(); }
    }

    private static T Parse<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> type)
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

    private static XksException TooLarge() =>
        new(XksErrorName.UnsupportedOperationException, $"The request body exceeds this proxy's limit of {MaxBody} bytes.");

    private static string? Header(IHeaderDictionary headers, string name) =>
        !headers.TryGetValue(name, out var values) ? null : values.Count == 1 ? values[0] ?? string.Empty : string.Join(',', values.ToArray());

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
