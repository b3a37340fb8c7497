using Keyward.Core.Audit;
using Keyward.Core.Service;
using Keyward.Protocol;
using Keyward.Protocol.Errors;
using Prometheus;

namespace Keyward.Server.Operations;

/// <summary>
/// The server's Prometheus metrics (prometheus-net), in a registry of its own per host. Labels are Keyward's own
/// names only (operations, error types, states, store ids Keyward made): never a caller-supplied string, a key's
/// material, a plaintext or a credential. Per-request instruments are resolved once per operation, so a request
/// costs two lookups in arrays and the instruments' own atomics.
/// </summary>
internal sealed class ServerMetrics
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _requests;
    private readonly Counter.Child[] _succeeded;
    private readonly Histogram.Child[] _durations;
    private readonly Histogram.Child _unknownDuration;

    public ServerMetrics(KmsService service, AuditLog audit, Keyward.Core.Storage.IKmsStorage storage)
    {
        var factory = Metrics.WithCustomRegistry(_registry);
        _requests = factory.CreateCounter("keyward_requests_total", "KMS API requests answered, by operation and error type (empty: success).",
            "operation", "error");
        var duration = factory.CreateHistogram("keyward_request_duration_seconds", "Time from the request's arrival to its answer, by operation.",
            new HistogramConfiguration { LabelNames = ["operation"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 18) });
        var operations = Enum.GetValues<KmsOperation>();
        _succeeded = new Counter.Child[operations.Length];
        _durations = new Histogram.Child[operations.Length];
        foreach (var op in operations)
        {
            _succeeded[(int)op] = _requests.WithLabels(KmsOperationNames.Name(op), "");
            _durations[(int)op] = duration.WithLabels(KmsOperationNames.Name(op));
        }
        _unknownDuration = duration.WithLabels("unknown");

        var lag = factory.CreateGauge("keyward_audit_unindexed_bytes", "Bytes of the audit journal not yet moved into the database's hash chain.");
        var retired = factory.CreateGauge("keyward_audit_retired_journals", "Retired audit journals not yet fully indexed.");
        var indexing = factory.CreateGauge("keyward_audit_indexer_failing", "1 while moving journal entries into the database fails.");
        var lookups = factory.CreateCounter("keyward_key_cache_lookups_total", "Key record lookups, answered by the cache (hit) or storage (miss).",
            "result");
        var stores = factory.CreateGauge("keyward_custom_key_store_connected", "1 when the custom key store is connected on this node.",
            "custom_key_store_id");
        var generating = factory.CreateGauge("keyward_rsa_key_generation_peak", "The most RSA key pairs generated at once since start.");
        var keys = factory.CreateGauge("keyward_keys", "KMS keys in the database, by key state (every account).", "state");
        // One GROUP BY per scrape, within a bound: a database that does not answer leaves the last counts.
        _registry.AddBeforeCollectCallback(async ct =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                var counts = await storage.CountKeysByStateAsync(timeout.Token);
                foreach (var state in Enum.GetNames<Keyward.Core.Keys.KeyState>()) keys.WithLabels(state).Set(counts.GetValueOrDefault(state));
            }
            catch (Exception e) when (e is Keyward.Core.Storage.StorageUnavailableException or OperationCanceledException) { }
        });
        _registry.AddBeforeCollectCallback(() =>
        {
            lag.Set(audit.UnindexedBytes);
            retired.Set(audit.RetiredPending);
            indexing.Set(audit.IndexFailure is null ? 0 : 1);
            var (hits, misses) = service.KeyCacheLookups;
            lookups.WithLabels("hit").IncTo(hits);
            lookups.WithLabels("miss").IncTo(misses);
            foreach (var (id, connected) in service.CustomKeyStoreStates()) stores.WithLabels(id).Set(connected ? 1 : 0);
            generating.Set(service.KeyPairs.Peak);
        });
    }

    /// <summary>Counts one answered request (operation null: the target named none) and its duration.</summary>
    public void Record(KmsOperation? operation, KmsErrorCode? error, TimeSpan elapsed)
    {
        var errorType = error is { } e ? KmsErrors.TypeName(e) : "";
        if (operation is not { } op)
        {
            _requests.WithLabels("unknown", errorType).Inc();
            _unknownDuration.Observe(elapsed.TotalSeconds);
            return;
        }
        // A success is the resolved child (no label lookup); an error looks its pair of labels up.
        (error is null ? _succeeded[(int)op] : _requests.WithLabels(KmsOperationNames.Name(op), errorType)).Inc();
        _durations[(int)op].Observe(elapsed.TotalSeconds);
    }

    /// <summary>Writes every metric in the Prometheus text format.</summary>
    public Task WriteAsync(Stream destination, CancellationToken ct) => _registry.CollectAndExportAsTextAsync(destination, ct);
}
