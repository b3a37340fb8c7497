using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keyward.Bench;
using Keyward.Server.Hosting;

// Usage: Keyward.Bench [seconds-per-cell] [concurrency,...] [rounds]
//        Keyward.Bench hsm [seconds-per-cell] [concurrency,...] [rounds]   (HsmBench.cs)
//        Keyward.Bench pg [seconds-per-cell] [concurrency,...] [rounds]    (PostgresBench.cs)
if (args.Length > 0 && args[0] == "hsm") return await HsmBench.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "pg") return await PostgresBench.RunAsync(args[1..]);
//        Keyward.Bench policy [seconds-per-cell] [concurrency,...] [rounds] [before-ref]   (PolicyBench.cs)
if (args.Length > 0 && args[0] == "policy") return await PolicyBench.RunAsync(args[1..]);
//        Keyward.Bench xks [seconds-per-cell] [concurrency,...] [rate] [rate-seconds]   (XksBench.cs)
if (args.Length > 0 && args[0] == "xks") return await XksBench.RunAsync(args[1..]);
//        Keyward.Bench pq [seconds-per-cell] [concurrency,...] [rounds]   (PostQuantumBench.cs)
if (args.Length > 0 && args[0] == "pq") return await PostQuantumBench.RunAsync(args[1..]);
//        Keyward.Bench baseline [URL] | openloop ... | keys ...   (ExternalModes.cs; processes of bench/external)
if (args.Length > 0 && args[0] == "baseline") return await ExternalModes.BaselineAsync(args[1..]);
if (args.Length > 0 && args[0] == "openloop") return await ExternalModes.OpenLoopAsync(args[1..]);
if (args.Length > 0 && args[0] == "keys") return await ExternalModes.RandomKeysAsync(args[1..]);

// Runs the baseline and Keyward in one process, one after the other, for each concurrency,
// and prints a Markdown table of throughput, latency and the Encrypt/baseline ratio.
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
var levels = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [1, 8, 32];
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var duration = TimeSpan.FromSeconds(seconds);
var warmup = TimeSpan.FromSeconds(Math.Max(1, seconds / 3));
const string accessKey = "AKIABENCHMARK0000001";
const string secret = "benchmark-secret-0123456789abcdefghijklmn";

var dataDir = Directory.CreateTempSubdirectory("keyward-bench").FullName;
await using var keyward = await KmsHost.StartAsync(new KmsServerOptions
{
    Listen = "http://127.0.0.1:0", DataDir = dataDir, AccessKeyId = accessKey, SecretAccessKey = secret, Console = TextWriter.Null,
            RequestQuotas = Keyward.Core.Service.RequestQuotaOptions.Off, AccessLog = false,
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

// Asymmetric and HMAC keys: Sign a RAW 256-byte message (hash + sign), MAC the same message.
var message = Convert.ToBase64String(RandomNumberGenerator.GetBytes(256));
string NewKey(string spec, string usage) =>
    Call("CreateKey", $"{{\"KeySpec\":\"{spec}\",\"KeyUsage\":\"{usage}\"}}").GetAwaiter().GetResult().GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
var signEcBody = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{NewKey("ECC_NIST_P256", "SIGN_VERIFY")}\",\"Message\":\"{message}\",\"SigningAlgorithm\":\"ECDSA_SHA_256\"}}");
var signRsaBody = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{NewKey("RSA_2048", "SIGN_VERIFY")}\",\"Message\":\"{message}\",\"SigningAlgorithm\":\"RSASSA_PKCS1_V1_5_SHA_256\"}}");
var macBody = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{NewKey("HMAC_256", "GENERATE_VERIFY_MAC")}\",\"Message\":\"{message}\",\"MacAlgorithm\":\"HMAC_SHA_256\"}}");

var baselineLoad = new LoadGenerator(baselineUrl, accessKey, secret, "us-east-1");
// Each Keyward workload is compared with the baseline server doing the same BCL operation
// (Baseline = the index of its baseline row).
(string Name, LoadGenerator Load, string Operation, byte[] Body, int Baseline)[] workloads =
[
    ("baseline (Kestrel + 1 AES-GCM)", baselineLoad, "Encrypt", encryptBody, 0),
    ("Encrypt 1 KiB", load, "Encrypt", encryptBody, 0),
    ("Decrypt 1 KiB", load, "Decrypt", decryptBody, 0),
    ("GenerateDataKey AES_256", load, "GenerateDataKey", dataKeyBody, 0),
    ("baseline (Kestrel + 1 ECDSA P-256 sign)", baselineLoad, "Sign", signEcBody, 4),
    ("Sign ECC_NIST_P256 ECDSA_SHA_256", load, "Sign", signEcBody, 4),
    ("baseline (Kestrel + 1 RSA-2048 sign)", baselineLoad, "Sign", signRsaBody, 6),
    ("Sign RSA_2048 RSASSA_PKCS1_V1_5_SHA_256", load, "Sign", signRsaBody, 6),
    ("baseline (Kestrel + 1 HMAC-SHA-256)", baselineLoad, "GenerateMac", macBody, 8),
    ("GenerateMac HMAC_256", load, "GenerateMac", macBody, 8),
];
Console.WriteLine($"# Keyward benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {rounds} rounds of {seconds}s per cell");
Console.WriteLine();
Console.WriteLine("Medians over the rounds; within a round the workloads run back to back, so slow drifts of the machine hit all of them alike.");
Console.WriteLine();
await WorkloadTable.RunAsync(workloads, levels, rounds, warmup, duration);
await baseline.StopAsync();
Directory.Delete(dataDir, recursive: true);
return 0;

async Task<JsonElement> Call(string operation, string body)
{
    using var http = new HttpClient { BaseAddress = keyward.Url };
    using var response = await http.SendAsync(load.Sign(operation, Encoding.UTF8.GetBytes(body)));
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{operation}: {text}");
    return JsonDocument.Parse(text).RootElement.Clone();
}
