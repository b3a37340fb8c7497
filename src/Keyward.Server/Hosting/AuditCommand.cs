using System.Globalization;
using Keyward.Core.Audit;

namespace Keyward.Server.Hosting;

/// <summary>
/// `keyward audit verify` walks the hash chain from the first event and names the first event that was
/// edited, removed or reordered. `keyward audit query` prints matching events as CloudTrail JSON lines. Both open the
/// database directly (offline commands; they read, never write, and need no seal: events hold no secret).
/// </summary>
public static class AuditCommand
{
    private const int Page = 1000;

    public static async Task<int> VerifyAsync(KmsServerOptions options, TextWriter output, CancellationToken ct = default)
    {
        using var storage = Open(options);
        var previous = AuditChain.Genesis;
        long expected = 1, after = 0;
        while (true)
        {
            var page = await storage.ReadAuditEventsAsync(after, Page, ct);
            foreach (var record in page)
            {
                if (AuditChain.Check(record, expected, previous) is { } problem)
                {
                    output.WriteLine($"keyward: the audit log was tampered with: {problem}.");
                    return 1;
                }
                previous = record.Hash;
                after = record.Sequence;
                expected++;
            }
            if (page.Count < Page) break;
        }
        output.WriteLine($"keyward: the audit log is intact: {expected - 1} events, last hash {Convert.ToHexStringLower(previous)}.");
        return 0;
    }

    /// <param name="key">A key id or key ARN the events touched.</param>
    public static async Task<int> QueryAsync(KmsServerOptions options, TextWriter output, string? key, string? principal, string? eventName,
        DateTimeOffset? since, DateTimeOffset? until, CancellationToken ct = default)
    {
        using var storage = Open(options);
        long after = 0;
        while (true)
        {
            var page = await storage.ReadAuditEventsAsync(after, Page, ct);
            foreach (var r in page)
            {
                after = r.Sequence;
                if (key is not null && (r.KeyArn is null || !r.KeyArn.Split(' ').Any(arn => arn == key || arn.EndsWith("/" + key, StringComparison.Ordinal)))) continue;
                if (principal is not null && r.PrincipalArn != principal) continue;
                if (eventName is not null && r.EventName != eventName) continue;
                if (since is { } s && r.EventTime < s) continue;
                if (until is { } u && r.EventTime > u) continue;
                try { output.WriteLine(Audit.CloudTrailRenderer.Render(r.Json)); }
                catch (System.Text.Json.JsonException)
                {
                    // Only an edited database holds such an event (the indexer stores well-formed entries): audit verify names it.
                    Console.Error.WriteLine($"keyward: event {r.Sequence} is not readable JSON and is left out; run keyward audit verify.");
                }
            }
            if (page.Count < Page) break;
        }
        return 0;
    }

    private static Keyward.Core.Storage.IKmsStorage Open(KmsServerOptions options)
    {
        var file = Path.Combine(options.DataDir, KmsHost.DatabaseFile);
        if (options.Database is null && !File.Exists(file)) throw new ServerConfigurationException($"There is no database at {file}.");
        return KmsHost.OpenStorage(options);
    }
}
