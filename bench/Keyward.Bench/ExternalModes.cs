using System.Globalization;
using System.Text.Json;

namespace Keyward.Bench;

/// <summary>
/// The pieces of <c>bench/external</c> that run as processes of their own, next to <c>keyward serve</c>:
/// <c>baseline URL</c> serves the baseline (<see cref="BaselineServer"/>) until its standard input closes, and
/// <c>openloop URL OPERATION BODY-FILE RATE SECONDS ACCESS-KEY SECRET</c> sends one SigV4-signed request (signed
/// afresh each time) at a fixed rate and prints the latencies as one JSON line.
/// </summary>
internal static class ExternalModes
{
    public static async Task<int> BaselineAsync(string[] args)
    {
        var (app, url) = await BaselineServer.StartAsync(args.Length > 0 ? args[0] : "http://127.0.0.1:0");
        Console.WriteLine(url);
        Console.Out.Flush();
        // The parent closes standard input (or ends the process) to stop it.
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }

    public static async Task<int> OpenLoopAsync(string[] args)
    {
        if (args.Length != 7)
        {
            Console.Error.WriteLine("usage: openloop URL OPERATION BODY-FILE RATE SECONDS ACCESS-KEY SECRET");
            return 2;
        }
        var url = new Uri(args[0]);
        var body = await File.ReadAllBytesAsync(args[2]);
        var rate = int.Parse(args[3], CultureInfo.InvariantCulture);
        var seconds = double.Parse(args[4], CultureInfo.InvariantCulture);
        var load = new LoadGenerator(url, args[5], args[6], "us-east-1");
        using var handler = new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = 256 };
        using var http = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        // Signed once, as wrk's requests are (the signature stays valid for minutes, and a server verifies every copy):
        // signing each request made the generator, not the server, the limit on these 2 cores.
        using var signed = load.Sign(args[1], body);
        var headers = signed.Headers.Select(h => (h.Key, string.Join(",", h.Value))).ToArray();
        HttpRequestMessage Copy()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = signed.Content!.Headers.ContentType;
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            return request;
        }
        // A short warm-up at the same rate: connections open and the server's code is compiled before measuring.
        await OpenLoop.RunAsync(http, Copy, rate, TimeSpan.FromSeconds(Math.Min(3, seconds / 3)));
        var r = await OpenLoop.RunAsync(http, Copy, rate, TimeSpan.FromSeconds(seconds));
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double>
        {
            ["sent"] = r.Sent, ["achieved"] = r.Achieved, ["p50"] = r.P50, ["p99"] = r.P99, ["p999"] = r.P999,
            ["max"] = r.Max, ["errors"] = r.Errors,
        }));
        return 0;
    }
}
