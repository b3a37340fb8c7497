using System.Globalization;
using System.Text.Json;

namespace Keyward.Bench;

/// <summary>
/// The pieces of <c>bench/external</c> that run as processes of their own, next to <c>keyward serve</c>:
/// <c>baseline URL</c> serves the baseline (<see cref="BaselineServer"/>) until its standard input closes, and
/// <c>openloop URL OPERATION BODY-FILE RATE SECONDS ACCESS-KEY SECRET</c> sends one SigV4-signed request (signed
/// once, as wrk's are) at a fixed rate, and <c>keys URL KEY-FILE SECONDS CONNECTIONS ACCESS-KEY SECRET</c> sends
/// Encrypt of 1 KiB under a key drawn at random from the file (one key id per line) for each request, closed loop;
/// each prints its figures as one JSON line.
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

    /// <summary>The open loop's connections: as many as wrk's in the closed loop.</summary>
    private const int Connections = 32;

    public static async Task<int> OpenLoopAsync(string[] args)
    {
        if (!Usage(args, "openloop URL OPERATION BODY-FILE RATE SECONDS ACCESS-KEY SECRET")) return 2;
        var url = new Uri(args[0]);
        var body = await File.ReadAllBytesAsync(args[2]);
        var rate = int.Parse(args[3], CultureInfo.InvariantCulture);
        var seconds = double.Parse(args[4], CultureInfo.InvariantCulture);
        var load = new LoadGenerator(url, args[5], args[6], "us-east-1");
        // Signed once, as wrk's requests are (the signature stays valid for minutes, and a server verifies every copy):
        // signing each request made the generator, not the server, the limit on these 2 cores.
        using var signed = load.Sign(args[1], body);
        var request = OpenLoop.Serialize(signed, url.Host, url.Port, body);
        // A short warm-up at the same rate: connections open and the server's code is compiled before measuring.
        OpenLoop.Run(url.Host, url.Port, request, rate, TimeSpan.FromSeconds(Math.Min(3, seconds / 3)), Connections);
        var r = OpenLoop.Run(url.Host, url.Port, request, rate, TimeSpan.FromSeconds(seconds), Connections);
        return Print(new() { ["sent"] = r.Sent, ["achieved"] = r.Achieved, ["p50"] = r.P50, ["p99"] = r.P99, ["p999"] = r.P999,
            ["max"] = r.Max, ["errors"] = r.Errors });
    }

    public static async Task<int> RandomKeysAsync(string[] args)
    {
        if (!Usage(args, "keys URL KEY-FILE SECONDS CONNECTIONS ACCESS-KEY SECRET")) return 2;
        var keys = (await File.ReadAllLinesAsync(args[1])).Where(l => l.Length > 0).ToArray();
        var duration = TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture));
        var connections = int.Parse(args[3], CultureInfo.InvariantCulture);
        var load = new LoadGenerator(new Uri(args[0]), args[4], args[5], "us-east-1");
        var plaintext = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024));
        // Each request's body names its key, so each is signed as it is sent (the generator's cost is the same for every
        // key count, which is what is compared).
        var bodies = keys.Select(k => System.Text.Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{k}\",\"Plaintext\":\"{plaintext}\"}}")).ToArray();
        var r = await load.RunAsync("Encrypt", () => bodies[Random.Shared.Next(bodies.Length)], connections,
            TimeSpan.FromSeconds(Math.Max(2, duration.TotalSeconds / 4)), duration);
        return Print(new() { ["rps"] = r.RequestsPerSecond, ["p50"] = r.P50Ms, ["p99"] = r.P99Ms, ["p999"] = r.P999Ms, ["errors"] = r.Errors });
    }

    /// <summary>True when <paramref name="args"/> has one value per word after the mode in <paramref name="usage"/>.</summary>
    private static bool Usage(string[] args, string usage)
    {
        if (args.Length == usage.Split(' ').Length - 1) return true;
        Console.Error.WriteLine("usage: " + usage);
        return false;
    }

    private static int Print(Dictionary<string, double> figures)
    {
        Console.WriteLine(JsonSerializer.Serialize(figures));
        return 0;
    }
}
