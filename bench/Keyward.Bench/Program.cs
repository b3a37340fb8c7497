using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keyward.Bench;
using Keyward.Server.Hosting;

// Usage: Keyward.Bench [seconds-per-cell] [concurrency,...]
// Runs the baseline and Keyward in one process, one after the other, for each concurrency,
// and prints a Markdown table of throughput, latency and the Encrypt/baseline ratio.
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var levels = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [1, 8, 32];
var duration = TimeSpan.FromSeconds(seconds);
var warmup = TimeSpan.FromSeconds(Math.Max(1, seconds / 3));
const string accessKey = "AKIABENCHMARK0000001";
const string secret = "benchmark-secret-0123456789abcdefghijklmn";

var dataDir = Directory.CreateTempSubdirectory("keyward-bench").FullName;
await using var keyward = await KmsHost.StartAsync(new KmsServerOptions
{
    Listen = "http://127.0.0.1:0", DataDir = dataDir, AccessKeyId = accessKey, SecretAccessKey = secret, Console = TextWriter.Null,
});
var (baseline, baselineUrl) = await BaselineServer.StartAsync();

// One key, one 1 KiB ciphertext to decrypt.
var load = new LoadGenerator(keyward.Url, accessKey, secret, "us-east-1");
var keyId = (await Call("CreateKey", "{}")).GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
var plaintext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(1024));
var encryptBody = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{keyId}\",\"Plaintext\":\"{plaintext}\"}}");
var blob = (await Call("Encrypt", Encoding.UTF8.GetString(encryptBody))).GetProperty("CiphertextBlob").GetString()!;
var decryptBody = Encoding.UTF8.GetBytes($"{{\"CiphertextBlob\":\"{blob}\"}}");
var dataKeyBody = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{keyId}\",\"KeySpec\":\"AES_256\"}}");

var baselineLoad = new LoadGenerator(baselineUrl, accessKey, secret, "us-east-1");
var rows = new List<string>();
Console.WriteLine($"# Keyward benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {seconds}s per cell");
Console.WriteLine();
Console.WriteLine("| concurrency | workload | req/s | p50 ms | p99 ms | errors | req/s ÷ baseline |");
Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
foreach (var c in levels)
{
    var b = await baselineLoad.RunAsync("Encrypt", encryptBody, c, warmup, duration);
    Print(c, "baseline (Kestrel + 1 AES-GCM)", b, b);
    Print(c, "Encrypt 1 KiB", await load.RunAsync("Encrypt", encryptBody, c, warmup, duration), b);
    Print(c, "Decrypt 1 KiB", await load.RunAsync("Decrypt", decryptBody, c, warmup, duration), b);
    Print(c, "GenerateDataKey AES_256", await load.RunAsync("GenerateDataKey", dataKeyBody, c, warmup, duration), b);
}
await baseline.StopAsync();
Directory.Delete(dataDir, recursive: true);
return 0;

static void Print(int c, string name, LoadGenerator.Result r, LoadGenerator.Result baseline) =>
    Console.WriteLine(FormattableString.Invariant(
        $"| {c} | {name} | {r.RequestsPerSecond:F0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.Errors} | {r.RequestsPerSecond / baseline.RequestsPerSecond:P0} |"));

async Task<JsonElement> Call(string operation, string body)
{
    using var http = new HttpClient { BaseAddress = keyward.Url };
    using var response = await http.SendAsync(load.Sign(operation, Encoding.UTF8.GetBytes(body)));
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{operation}: {text}");
    return JsonDocument.Parse(text).RootElement.Clone();
}
