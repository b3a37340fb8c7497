using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keyward.Server.Hosting;
using Keyward.Tests.Shared;

namespace Keyward.Bench;

/// <summary>
/// `bench/run pg [seconds] [concurrencies] [rounds]`: the storage backends under the same HTTP load,
/// in one process and one run: Keyward on SQLite (one node), on PostgreSQL (one node), and two
/// Keyward nodes on one PostgreSQL database with the load split between them round-robin. PostgreSQL
/// is a private server (initdb/pg_ctl on loopback, default settings: fsync and synchronous_commit on).
/// Workloads: Encrypt of 1 KiB on one key (served from each node's key cache: no database round trip
/// per request) and CreateKey (one durable transaction per request). Ratios are to SQLite in the same round.
/// </summary>
internal static class PostgresBench
{
    private const string AccessKey = "AKIABENCHMARK0000001";
    private const string Secret = "benchmark-secret-0123456789abcdefghijklmn";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var levels = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [1, 8, 32];
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var duration = TimeSpan.FromSeconds(seconds);
        var warmup = TimeSpan.FromSeconds(Math.Max(1, seconds / 3));

        await using var postgres = await PostgresServer.StartAsync();
        var sqliteDir = Directory.CreateTempSubdirectory("keyward-bench-sqlite").FullName;
        await using var sqlite = await Start(sqliteDir, null);
        var database = postgres.Uri(await postgres.NewDatabaseAsync("bench"));
        var pgDirs = new[] { Directory.CreateTempSubdirectory("keyward-bench-pg1").FullName, Directory.CreateTempSubdirectory("keyward-bench-pg2").FullName };
        await using var pg1 = await Start(pgDirs[0], database);
        File.Copy(Path.Combine(pgDirs[0], KmsHost.RootKeyFile), Path.Combine(pgDirs[1], KmsHost.RootKeyFile));
        await using var pg2 = await Start(pgDirs[1], database);

        var targets = new (string Name, LoadGenerator Load, Uri Url)[]
        {
            ("SQLite, 1 node", new LoadGenerator(sqlite.Url, AccessKey, Secret, "us-east-1"), sqlite.Url),
            ("PostgreSQL, 1 node", new LoadGenerator(pg1.Url, AccessKey, Secret, "us-east-1"), pg1.Url),
            ("PostgreSQL, 2 nodes", new LoadGenerator([pg1.Url, pg2.Url], AccessKey, Secret, "us-east-1"), pg1.Url),
        };
        var plaintext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(1024));
        var encryptBodies = new byte[targets.Length][];
        for (var t = 0; t < targets.Length; t++)
        {
            var keyId = (await Call(targets[t].Load, targets[t].Url, "CreateKey", "{}")).GetProperty("KeyMetadata").GetProperty("KeyId").GetString();
            encryptBodies[t] = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{keyId}\",\"Plaintext\":\"{plaintext}\"}}");
        }
        var createBody = Encoding.UTF8.GetBytes("{\"Description\":\"bench\"}");

        Console.WriteLine($"# Keyward storage benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {rounds} rounds of {seconds}s per cell");
        Console.WriteLine();
        Console.WriteLine("| concurrency | workload | storage | req/s | p50 ms | p99 ms | errors | req/s ÷ SQLite |");
        Console.WriteLine("|---:|---|---|---:|---:|---:|---:|---:|");
        foreach (var c in levels)
        {
            foreach (var (operation, label) in new[] { ("Encrypt", "Encrypt 1 KiB"), ("CreateKey", "CreateKey") })
            {
                var results = targets.Select(_ => new List<LoadGenerator.Result>()).ToArray();
                for (var r = 0; r < rounds; r++)
                    for (var t = 0; t < targets.Length; t++)
                        results[t].Add(await targets[t].Load.RunAsync(operation, operation == "Encrypt" ? encryptBodies[t] : createBody, c, warmup, duration));
                var medians = results.Select(LoadGenerator.Result.Median).ToArray();
                for (var t = 0; t < targets.Length; t++)
                    Console.WriteLine(FormattableString.Invariant(
                        $"| {c} | {label} | {targets[t].Name} | {medians[t].RequestsPerSecond:F0} | {medians[t].P50Ms:F2} | {medians[t].P99Ms:F2} | {medians[t].Errors} | {medians[t].RequestsPerSecond / medians[0].RequestsPerSecond:P0} |"));
            }
        }
        foreach (var d in pgDirs.Append(sqliteDir)) Directory.Delete(d, recursive: true);
        return 0;
    }

    private static Task<KmsHost> Start(string dataDir, string? database) => KmsHost.StartAsync(new KmsServerOptions
    {
        Listen = "http://127.0.0.1:0", DataDir = dataDir, Database = database, AccessKeyId = AccessKey, SecretAccessKey = Secret, Console = TextWriter.Null,
            RequestQuotas = Keyward.Core.Service.RequestQuotaOptions.Off, AccessLog = false,
    });


    private static async Task<JsonElement> Call(LoadGenerator load, Uri url, string operation, string body)
    {
        using var http = new HttpClient { BaseAddress = url };
        using var response = await http.SendAsync(load.Sign(operation, Encoding.UTF8.GetBytes(body)));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{operation}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
