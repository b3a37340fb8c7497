using System.Buffers;
using System.Text.Json;
using Keyward.Core.Identity;
using Keyward.Core.KeyStores;
using Keyward.Core.Service;
using Keyward.Core.Storage;
using Keyward.Protocol;
using Keyward.Protocol.CloudTrail;
using Keyward.Protocol.Errors;
using Keyward.Protocol.SigV4;
using Keyward.Server.Audit;
using Keyward.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Keyward.Server.Dispatch;

/// <summary>
/// The request flow of DESIGN.md: read the body (size-limited) → verify SigV4 → X-Amz-Target
/// to an operation → dispatch → serialize. Every failure becomes an AWS-shaped error; anything
/// unexpected is KMSInternalException with the request id, its detail only in the log.
/// </summary>
/// <remarks>
/// A request whose target is CloudTrail's (<see cref="CloudTrailTarget.Operation"/>) is signed for the service
/// <c>cloudtrail</c> and answered by <see cref="CloudTrailLookup"/>: LookupEvents over the audit log. It reads the
/// audit log and is not itself recorded in it.
/// </remarks>
internal sealed class KmsRequestHandler(
    KmsDispatcher dispatcher, SigV4Verifier verifier, CredentialStore credentials, int maxBodyBytes, AuditRecorder audit, ILogger logger,
    Operations.ServerMetrics metrics, Operations.AccessLog? accessLog, (SigV4Verifier Verifier, CloudTrailLookup Lookup) cloudTrail)
{
    private const string ContentType = "application/x-amz-json-1.1";
    private const string DatabaseUnavailable = "The request could not be completed because the database is unavailable. Retry the request.";

    public async Task HandleAsync(HttpContext context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var requestId = Uuids.New().ToString("D");
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        // The operation, once the target names one (the logs, the metrics and the access line say "-" before).
        KmsOperation? known = null;
        string? trailOperation = null; // CloudTrail's operation, which is no KmsOperation
        // How the request ended, for the metrics and the access line: null is success (or a client that went away).
        KmsErrorCode? outcome = null;
        var answered = true;
        RequestBody? body = null;
        // Set once the request is authenticated: from then on every outcome is audited before it is answered.
        Caller? caller = null;
        try
        {
            var request = context.Request;
            if (request.ContentLength > maxBodyBytes) throw TooLarge();
            body = new RequestBody(request.ContentLength);
            if (!await body.ReadAsync(request.Body, maxBodyBytes, context.RequestAborted)) throw TooLarge();

            var raw = context.Features.Get<IHttpRequestFeature>()!;
            var rawTarget = raw.RawTarget ?? "/";
            var q = rawTarget.IndexOf('?');
            var target = request.Headers["X-Amz-Target"].ToString();
            var trailTarget = CloudTrailTarget.Operation(target);
            var trail = trailTarget is not null;
            var sig = (trail ? cloudTrail.Verifier : verifier).Verify(new SigV4Request(request.Method,
                q < 0 ? rawTarget : rawTarget[..q], q < 0 ? string.Empty : rawTarget[(q + 1)..],
                name => HeaderValue(request.Headers, name), body.Memory));
            if (!sig.Succeeded) throw AuthError(sig);
            var principal = credentials.Find(sig.AccessKeyId!)!.Principal;
            var sourceIp = context.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;

            if (trail)
            {
                if (!HttpMethods.IsPost(request.Method) || trailTarget != "LookupEvents")
                    throw new KmsException(KmsErrorCode.UnknownOperationException);
                trailOperation = "LookupEvents";
                var events = await cloudTrail.Lookup.LookupEventsAsync(principal, sourceIp, sig.Region!, body.Memory, context.RequestAborted);
                context.Response.StatusCode = 200;
                context.Response.ContentType = ContentType;
                context.Response.ContentLength = events.Length;
                await context.Response.Body.WriteAsync(events, context.RequestAborted);
                return;
            }
            if (!HttpMethods.IsPost(request.Method) || !KmsTarget.TryParse(target, out var operation))
                throw new KmsException(KmsErrorCode.UnknownOperationException);
            known = operation;

            caller = new Caller(principal, operation)
            {
                SourceIp = sourceIp,
                UserAgent = request.Headers.UserAgent.ToString(),
                AccessKeyId = sig.AccessKeyId,
                RequestId = requestId,
                Region = sig.Region,
            };
            dispatcher.Charge(caller); // the operation's request quota (ThrottlingException past it)
            var response = await dispatcher.InvokeAsync(operation, body.Memory, caller, context.RequestAborted);
            try
            {
                // Fail closed: no response leaves before its audit record is written.
                if (TryAudit(caller, requestId, body, null, null) is { } refused)
                {
                    outcome = refused;
                    await WriteRefusalAsync(context, refused, requestId);
                    return;
                }
                context.Response.StatusCode = 200;
                context.Response.ContentType = ContentType;
                context.Response.ContentLength = response.Length;
                await context.Response.Body.WriteAsync(response.Memory, context.RequestAborted);
            }
            finally { response.Dispose(); }
        }
        catch (KmsException e)
        {
            Log.Rejected(logger, requestId, KmsErrors.TypeName(e.Code));
            await FailAsync(e.Code, e.Message);
        }
        catch (KeyStoreException e)
        {
            // What the client sent wrong (a ciphertext or context that does not authenticate, unfit key material) is
            // the client's error, not a warning for the operator; a store that fails is.
            if (e.Failure is KeyStoreFailure.InvalidCiphertext or KeyStoreFailure.InvalidMaterial or KeyStoreFailure.Unsupported)
                Log.Rejected(logger, requestId, e.Failure.ToString());
            else Log.KeyStoreFailed(logger, requestId, OperationName(), e.Failure.ToString(), e.Message);
            var mapped = Faults.FromKeyStore(e);
            await FailAsync(mapped.Code, mapped.Code == KmsErrorCode.KMSInternalException ? InternalMessage(requestId) : mapped.Message);
        }
        catch (StorageUnavailableException e)
        {
            // Retryable (HTTP 503): nothing was acknowledged, and a retry succeeds once the database is back.
            Log.StorageUnavailable(logger, requestId, OperationName(), e.InnerException?.Message ?? e.Message);
            await FailAsync(KmsErrorCode.DependencyTimeoutException, DatabaseUnavailable);
        }
        catch (BadHttpRequestException)
        {
            // Kestrel could not read the body (malformed chunking, a client that stalls): the
            // client's fault, answered as unreadable input, not as a server error.
            await FailAsync(KmsErrorCode.SerializationException, "The request body could not be read.");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
            answered = false;
        }
        catch (Exception e)
        {
            Log.InternalError(logger, e, requestId, OperationName());
            await FailAsync(KmsErrorCode.KMSInternalException, InternalMessage(requestId));
        }
        finally
        {
            body?.Dispose();
            if (answered)
            {
                var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                metrics.Record(known, outcome, elapsed);
                accessLog?.Write(requestId, OperationName(), caller?.Arn ?? "-", caller?.Audit.KeyArns is [var first, ..] ? first : "-",
                    context.Response.StatusCode, outcome is { } code ? KmsErrors.TypeName(code) : "-", elapsed.TotalMilliseconds);
            }
        }

        string OperationName() => known is { } op ? KmsOperationNames.Name(op) : trailOperation ?? "-";

        async Task FailAsync(KmsErrorCode code, string message)
        {
            outcome = code;
            // An authenticated call is audited with its error; if even that fails, the answer is an internal error.
            if (caller is not null && TryAudit(caller, requestId, body, KmsErrors.TypeName(code), message) is { } refused)
            {
                outcome = refused;
                await WriteRefusalAsync(context, refused, requestId);
                return;
            }
            await WriteErrorAsync(context, code, message);
        }
    }

    /// <summary>Appends the call's audit event; on failure returns the error that refuses the request instead.</summary>
    private KmsErrorCode? TryAudit(Caller caller, string requestId, RequestBody? body, string? errorCode, string? errorMessage)
    {
        try
        {
            audit.Record(caller, requestId, body?.Memory ?? ReadOnlyMemory<byte>.Empty, errorCode, errorMessage);
            return null;
        }
        catch (StorageUnavailableException e)
        {
            Log.StorageUnavailable(logger, requestId, caller.Operation.ToString(), e.InnerException?.Message ?? e.Message);
            return KmsErrorCode.DependencyTimeoutException;
        }
        catch (Exception e)
        {
            Log.AuditFailed(logger, e, requestId, caller.Operation.ToString());
            return KmsErrorCode.KMSInternalException;
        }
    }

    /// <summary>The answer to a request refused because its audit record could not be written (retryable when the database is away).</summary>
    private Task WriteRefusalAsync(HttpContext context, KmsErrorCode code, string requestId) => code == KmsErrorCode.DependencyTimeoutException
        ? WriteErrorAsync(context, code, DatabaseUnavailable)
        : WriteErrorAsync(context, code, InternalMessage(requestId));

    private KmsException TooLarge() =>
        new(KmsErrorCode.RequestEntityTooLargeException, $"The request body exceeds the limit of {maxBodyBytes} bytes.");

    private static KmsException AuthError(SigV4Result result) => new(result.Failure switch
    {
        SigV4Failure.MissingAuthentication => KmsErrorCode.MissingAuthenticationTokenException,
        SigV4Failure.IncompleteSignature => KmsErrorCode.IncompleteSignatureException,
        SigV4Failure.UnknownAccessKey => KmsErrorCode.UnrecognizedClientException,
        _ => KmsErrorCode.InvalidSignatureException,
    }, result.Message);

    // SigV4 joins repeated header values with commas.
    private static string? HeaderValue(IHeaderDictionary headers, string name) =>
        !headers.TryGetValue(name, out var values) ? null : values.Count == 1 ? values[0] ?? string.Empty : string.Join(',', values.ToArray());

    private static string InternalMessage(string requestId) =>
        $"The request was rejected because an internal exception occurred. Request id: {requestId}.";

    private static async Task WriteErrorAsync(HttpContext context, KmsErrorCode code, string message)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = KmsErrors.HttpStatus(code);
        context.Response.ContentType = ContentType;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("__type", KmsErrors.TypeName(code));
            if (message.Length > 0) writer.WriteString("message", message);
            writer.WriteEndObject();
        }
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory);
    }
}
