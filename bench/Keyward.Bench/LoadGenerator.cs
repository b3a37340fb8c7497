using System.Diagnostics;
using System.Net.Http.Headers;
using Keyward.Protocol.SigV4;

namespace Keyward.Bench;

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers each send one request, wait for the answer,
/// and send the next, for a fixed time. Every request is freshly SigV4-signed (the client
/// cost is the same for Keyward and the baseline). Non-200 answers count as errors. With several
/// servers (nodes of one deployment), worker w talks to server w mod n, as a round-robin balancer would.
/// </summary>
internal sealed class LoadGenerator(IReadOnlyList<Uri> urls, string accessKeyId, string secret, string region)
{
    public LoadGenerator(Uri url, string accessKeyId, string secret, string region) : this([url], accessKeyId, secret, region) { }

    /// <summary>One measured period; <see cref="ServerCpuUs"/> is the server's CPU time per request (NaN when not measured).</summary>
    public sealed record Result(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, double ServerCpuUs = double.NaN,
        double P999Ms = double.NaN)
    {
        /// <summary>The median of each figure over rounds (errors are summed).</summary>
        public static Result Median(IReadOnlyList<Result> runs) =>
            new(Mid(runs.Select(r => r.RequestsPerSecond)), Mid(runs.Select(r => r.P50Ms)), Mid(runs.Select(r => r.P99Ms)), runs.Sum(r => r.Errors),
                Mid(runs.Select(r => r.ServerCpuUs)));

        /// <summary>The median of a set of figures (the upper middle one for an even count), as every bench table reports it.</summary>
        public static double Mid(IEnumerable<double> xs) { var a = xs.Order().ToArray(); return a[a.Length / 2]; }
    }

    /// <param name="serverCpu">Reads the server process's total CPU time, when it is a separate process: the
    /// measured period then also reports CPU per request, which the machine's other load disturbs less than throughput.</param>
    public Task<Result> RunAsync(string operation, byte[] body, int concurrency, TimeSpan warmup, TimeSpan duration, Func<TimeSpan>? serverCpu = null) =>
        RunAsync(operation, () => body, concurrency, warmup, duration, serverCpu);

    /// <param name="body">The body of each request, asked for as it is sent (a key drawn at random, say).</param>
    public async Task<Result> RunAsync(string operation, Func<byte[]> body, int concurrency, TimeSpan warmup, TimeSpan duration, Func<TimeSpan>? serverCpu = null)
    {
        var handlers = urls.Select(_ => new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan }).ToArray();
        var clients = urls.Select((u, i) => new HttpClient(handlers[i]) { BaseAddress = u }).ToArray();
        try
        {
            await Drive(clients, operation, body, concurrency, warmup, record: false);
            var cpuBefore = serverCpu?.Invoke();
            var result = await Drive(clients, operation, body, concurrency, duration, record: true);
            if (serverCpu is null) return result;
            var requests = result.RequestsPerSecond * duration.TotalSeconds;
            return result with { ServerCpuUs = (serverCpu() - cpuBefore!.Value).TotalMicroseconds / requests };
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
            foreach (var h in handlers) h.Dispose();
        }
    }

    private async Task<Result> Drive(HttpClient[] clients, string operation, Func<byte[]> body, int concurrency, TimeSpan duration, bool record)
    {
        var latencies = new List<double>[concurrency];
        long errors = 0;
        var stopwatch = Stopwatch.StartNew();
        var end = duration.Ticks;
        var tasks = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(1 << 16);
            var http = clients[w % clients.Length];
            while (stopwatch.Elapsed.Ticks < end)
            {
                var start = Stopwatch.GetTimestamp();
                using var request = Sign(operation, body(), http.BaseAddress!);
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != System.Net.HttpStatusCode.OK) Interlocked.Increment(ref errors);
                if (record) mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        if (!record) return new Result(0, 0, 0, errors);
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Result(all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), errors, P999Ms: Percentile(all, 0.999));
    }

    /// <summary>A KMS request for <paramref name="operation"/> to the first server, SigV4-signed now.</summary>
    public HttpRequestMessage Sign(string operation, byte[] body) => Sign(operation, body, urls[0]);

    private HttpRequestMessage Sign(string operation, byte[] body, Uri url)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "TrentService." + operation);
        var headers = new Dictionary<string, string>
        {
            ["host"] = $"{url.Host}:{url.Port}",
            ["content-type"] = "application/x-amz-json-1.1",
            ["x-amz-target"] = "TrentService." + operation,
        };
        var (date, auth) = SigV4Signer.Sign("POST", "/", "", headers, body, accessKeyId, secret, region, "kms", DateTimeOffset.UtcNow);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", date);
        request.Headers.TryAddWithoutValidation("Authorization", auth);
        return request;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
