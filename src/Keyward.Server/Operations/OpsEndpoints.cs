using System.Text.Json;
using Keyward.Core.Audit;
using Keyward.Core.Seal;
using Keyward.Core.Storage;
using Microsoft.AspNetCore.Http;

namespace Keyward.Server.Operations;

/// <summary>
/// The endpoints a load balancer and a monitoring system ask, on the KMS listener, without SigV4 (as AWS's own health
/// checks are unauthenticated): <c>GET /healthz</c> (the process answers), <c>GET /readyz</c> (it can serve: the
/// database answers, the seal opens its check value, the audit journal is writable and its indexer keeps up; 503
/// naming the failing check otherwise) and <c>GET /metrics</c> (Prometheus text format). Nothing they answer holds a
/// secret: checks report "ok" or the kind of failure, never an exception's message.
/// </summary>
internal sealed class OpsEndpoints(IKmsStorage storage, RootKeyBarrier barrier, AuditLog audit, ServerMetrics metrics)
{
    /// <summary>Past this much unindexed journal the node is not ready: the database is not keeping up with it.</summary>
    public const long MaxUnindexedBytes = 64L << 20;
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Answers the request if it is one of these endpoints; false leaves it to the KMS API.</summary>
    public bool TryHandle(HttpContext context, out Task handled)
    {
        handled = Task.CompletedTask;
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)) return false;
        switch (request.Path.Value)
        {
            case "/healthz": handled = Text(context, 200, "ok\n"); return true;
            case "/readyz": handled = ReadyAsync(context); return true;
            case "/metrics": handled = MetricsAsync(context); return true;
            default: return false;
        }
    }

    private static Task Text(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    private async Task MetricsAsync(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await metrics.WriteAsync(context.Response.Body, context.RequestAborted);
    }

    private async Task ReadyAsync(HttpContext context)
    {
        var checks = new Dictionary<string, string>
        {
            ["database"] = "ok", ["seal"] = "ok", ["audit_journal"] = "ok", ["audit_indexer"] = "ok",
        };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(CheckTimeout);
            var check = await storage.GetSettingAsync(RootKeyBarrier.CheckSetting, timeout.Token);
            // The check value was made with the root key at the first start: opening it proves the seal works.
            if (check is null || !barrier.Verify(check)) checks["seal"] = "the seal does not open the database's check value";
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            checks["database"] = e is OperationCanceledException ? "no answer within 2 s" : $"unavailable ({e.GetType().Name})";
            checks["seal"] = "not checked (no database)";
        }
        if (!File.Exists(audit.JournalPath) || audit.AppendFailedWithin(TimeSpan.FromSeconds(5)))
            checks["audit_journal"] = "cannot be written";
        if (audit.IndexFailure is { } failure) checks["audit_indexer"] = $"failing ({failure.GetType().Name})";
        else if (audit.UnindexedBytes > MaxUnindexedBytes) checks["audit_indexer"] = $"behind by {audit.UnindexedBytes} bytes";
        var ready = checks.Values.All(v => v == "ok");
        context.Response.StatusCode = ready ? 200 : 503;
        context.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(context.Response.Body);
        w.WriteStartObject();
        w.WriteString("status", ready ? "ready" : "not ready");
        w.WriteStartObject("checks");
        foreach (var (name, state) in checks) w.WriteString(name, state);
        w.WriteEndObject();
        w.WriteEndObject();
        await w.FlushAsync(context.RequestAborted);
    }
}
