using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keyward.Core.Keys;
using Keyward.Pkcs11;
using Keyward.Pkcs11.Interop;
using Keyward.Server.Hosting;

namespace Keyward.Bench;

/// <summary>
/// `bench/run hsm [seconds] [concurrencies] [rounds]`: HSM-store Encrypt against SoftHSM2.
/// Per concurrency N, in one process and one token:
/// - baseline: N threads, each with its own logged-in session, calling C_EncryptInit + C_Encrypt
///   (CKM_AES_GCM, 1 KiB, 96-bit IV, AAD) on one AES key in a loop: the HSM's own speed;
/// - HSM key store: N threads calling the HSM key store's Encrypt for a KMS key on that token
///   (session pool, cluster failover, object-handle cache, IV generation, payload framing);
/// - and, for scale, the whole Encrypt request over HTTP (SigV4, JSON) for that key and for a
///   default-store key.
/// </summary>
internal static class HsmBench
{
    internal const string Pin = "bench-user-pin";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var levels = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [1, 2, 8];
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var duration = TimeSpan.FromSeconds(seconds);
        var warmup = TimeSpan.FromSeconds(Math.Max(0.5, seconds / 3));

        var dir = Directory.CreateTempSubdirectory("keyward-hsm-bench").FullName;
        const string token = "bench";
        SetUpSoftHsm(dir, token);
        var module = Pkcs11Module.Load("/usr/lib/softhsm/libsofthsm2.so");
        var pin = Encoding.UTF8.GetBytes(Pin);

        // The HSM key store and one KMS key in it.
        var cluster = new HsmClusterOptions { Id = "cluster-benchmarkhsm", Module = module.Path, Hsms = [new HsmOptions { Token = token }], MaxSessionsPerHsm = 64 };
        using var store = new HsmKeyStore(HsmCluster.Connect(cluster, pin));
        var material = store.CreateMaterial("00000000-0000-4000-8000-000000000001", KeySpecInfo.Find("SYMMETRIC_DEFAULT")!, DateTimeOffset.UtcNow);
        var plaintext = RandomNumberGenerator.GetBytes(1024);
        var aad = RandomNumberGenerator.GetBytes(60); // a blob header and a small encryption context

        // The baseline's key: the same kind of object (AES-256, sensitive, non-extractable) on the same token.
        var baselineHsm = new Hsm(module, token, pin, 64, TimeSpan.FromSeconds(5));
        baselineHsm.Open();
        var baselineKey = baselineHsm.Run(s => s.GenerateKey(CKM.AES_KEY_GEN,
            Template.AesKey(AesKeyUse.EncryptDecrypt, token: true, extractable: false, generate: true).Text(CKA.LABEL, "bench-baseline")));
        var slot = module.FindSlot(token)!.Value;

        // The server, with a custom key store over the same token.
        const string accessKey = "AKIABENCHMARK0000001";
        const string secret = "benchmark-secret-0123456789abcdefghijklmn";
        await using var keyward = await KmsHost.StartAsync(new KmsServerOptions
        {
            Listen = "http://127.0.0.1:0", DataDir = Path.Combine(dir, "data"), AccessKeyId = accessKey, SecretAccessKey = secret, Console = TextWriter.Null,
            RequestQuotas = Keyward.Core.Service.RequestQuotaOptions.Off, AccessLog = false,
            Hsm = new HsmConfiguration { Clusters = [cluster with { Id = "cluster-benchmarkhttp" }] },
        });
        var load = new LoadGenerator(keyward.Url, accessKey, secret, "us-east-1");
        var storeId = (await Call(keyward, load, "CreateCustomKeyStore",
            $"{{\"CustomKeyStoreName\":\"bench\",\"CloudHsmClusterId\":\"cluster-benchmarkhttp\",\"KeyStorePassword\":\"{Pin}\",\"TrustAnchorCertificate\":\"-\"}}")).GetProperty("CustomKeyStoreId").GetString();
        await Call(keyward, load, "ConnectCustomKeyStore", $"{{\"CustomKeyStoreId\":\"{storeId}\"}}");
        var hsmKey = (await Call(keyward, load, "CreateKey", $"{{\"CustomKeyStoreId\":\"{storeId}\",\"Origin\":\"AWS_CLOUDHSM\"}}")).GetProperty("KeyMetadata").GetProperty("KeyId").GetString();
        var softKey = (await Call(keyward, load, "CreateKey", "{}")).GetProperty("KeyMetadata").GetProperty("KeyId").GetString();
        var b64 = Convert.ToBase64String(plaintext);
        var hsmBody = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{hsmKey}\",\"Plaintext\":\"{b64}\"}}");
        var softBody = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{softKey}\",\"Plaintext\":\"{b64}\"}}");

        Console.WriteLine($"# Keyward HSM benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, SoftHSM2, {rounds} rounds of {seconds}s per cell");
        Console.WriteLine();
        Console.WriteLine("| concurrency | workload | ops/s | p50 ms | p99 ms | errors | ops/s ÷ direct C_Encrypt |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var c in levels)
        {
            var direct = new List<LoadGenerator.Result>();
            var keyStore = new List<LoadGenerator.Result>();
            var httpHsm = new List<LoadGenerator.Result>();
            var httpSoft = new List<LoadGenerator.Result>();
            for (var r = 0; r < rounds; r++)
            {
                direct.Add(Loop(c, warmup, duration, () =>
                {
                    var session = Pkcs11Session.Open(module, slot);
                    var iv = new byte[12];
                    return () =>
                    {
                        RandomNumberGenerator.Fill(iv);
                        module.EnterCall();
                        try { session.EncryptGcm(baselineKey, iv, aad, plaintext); }
                        finally { module.ExitCall(); }
                    };
                }));
                keyStore.Add(Loop(c, warmup, duration, () => () => store.EncryptAsync(material, plaintext, aad, default).GetAwaiter().GetResult()));
                httpHsm.Add(await load.RunAsync("Encrypt", hsmBody, c, warmup, duration));
                httpSoft.Add(await load.RunAsync("Encrypt", softBody, c, warmup, duration));
            }
            var baseline = LoadGenerator.Result.Median(direct);
            Print(c, "direct C_Encrypt loop (CKM_AES_GCM, 1 KiB)", baseline, baseline);
            Print(c, "HSM key store Encrypt (pool, failover, framing)", LoadGenerator.Result.Median(keyStore), baseline);
            Print(c, "Encrypt request over HTTP, HSM-store key", LoadGenerator.Result.Median(httpHsm), baseline);
            Print(c, "Encrypt request over HTTP, default-store key", LoadGenerator.Result.Median(httpSoft), baseline);
        }
        baselineHsm.Dispose();
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return 0;
    }

    /// <summary>Runs <paramref name="concurrency"/> threads, each calling the operation its factory makes, closed-loop.</summary>
    internal static LoadGenerator.Result Loop(int concurrency, TimeSpan warmup, TimeSpan duration, Func<Action> perThread)
    {
        var latencies = new List<double>[concurrency];
        var errors = 0L;
        var stopAt = 0L;
        var recordFrom = 0L;
        using var ready = new CountdownEvent(concurrency);
        using var go = new ManualResetEventSlim();
        var threads = Enumerable.Range(0, concurrency).Select(t => new Thread(() =>
        {
            var op = perThread();
            var mine = latencies[t] = new List<double>(1 << 16);
            ready.Signal();
            go.Wait();
            while (true)
            {
                var start = Stopwatch.GetTimestamp();
                if (start >= Volatile.Read(ref stopAt)) break;
                try { op(); }
                catch (Exception) { Interlocked.Increment(ref errors); }
                if (start >= Volatile.Read(ref recordFrom)) mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }) { IsBackground = true }).ToArray();
        foreach (var t in threads) t.Start();
        ready.Wait();
        var now = Stopwatch.GetTimestamp();
        recordFrom = now + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        stopAt = recordFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        go.Set();
        foreach (var t in threads) t.Join();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadGenerator.Result(all.Length / duration.TotalSeconds, Percentile(all, 0.50), Percentile(all, 0.99), errors);
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static void Print(int c, string name, LoadGenerator.Result r, LoadGenerator.Result baseline) =>
        Console.WriteLine(FormattableString.Invariant(
            $"| {c} | {name} | {r.RequestsPerSecond:F0} | {r.P50Ms:F3} | {r.P99Ms:F3} | {r.Errors} | {r.RequestsPerSecond / baseline.RequestsPerSecond:P0} |"));

    /// <summary>A private SoftHSM configuration and token (softhsm2-util), set in the native environment before the module loads.</summary>
    internal static void SetUpSoftHsm(string dir, string token)
    {
        Directory.CreateDirectory(Path.Combine(dir, "tokens"));
        var config = Path.Combine(dir, "softhsm2.conf");
        File.WriteAllText(config, $"directories.tokendir = {Path.Combine(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
        var start = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--init-token", "--free", "--label", token, "--so-pin", "bench-so-pin", "--pin", Pin }) start.ArgumentList.Add(a);
        start.Environment["SOFTHSM2_CONF"] = config;
        using (var p = Process.Start(start)!)
        {
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException("softhsm2-util failed: " + p.StandardError.ReadToEnd());
        }
        LibC.SetEnv("SOFTHSM2_CONF", config, 1);
    }

    internal static async Task<JsonElement> Call(KmsHost host, LoadGenerator load, string operation, string body)
    {
        using var http = new HttpClient { BaseAddress = host.Url };
        using var response = await http.SendAsync(load.Sign(operation, Encoding.UTF8.GetBytes(body)));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{operation}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
