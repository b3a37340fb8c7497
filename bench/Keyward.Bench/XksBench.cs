using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Keyward.Pkcs11;
using Keyward.Pkcs11.Interop;
using Keyward.Protocol.SigV4;
using Keyward.Server.Hosting;
using Keyward.XksProxy;

namespace Keyward.Bench;

/// <summary>
/// `bench/run xks [seconds] [concurrencies] [rate] [rate-seconds]`: the XKS proxy's Encrypt against SoftHSM2, in one process.
/// - Closed loop, per concurrency N: the direct C_EncryptInit + C_Encrypt loop (CKM_AES_GCM, 1 KiB, 96-bit IV, the
///   AAD layout the proxy builds) on N threads with their own sessions, then XKS Encrypt requests over HTTP
///   (SigV4 for kms-xks-proxy, JSON, the proxy's checks) from N workers: the ratio is what the proxy costs.
/// - Keyward through the proxy, per concurrency N: Encrypt requests to a Keyward server for a key in an external key
///   store backed by that proxy (double encryption: Keyward's own layer, then an XKS Encrypt), against Encrypt for a
///   default-store key on the same server: the ratio is what holding the key outside costs a KMS client.
/// - Open loop: XKS Encrypt sent at a fixed rate (AWS's 1,800 per second per external key store) for a fixed time,
///   each request at its scheduled instant whatever the previous ones did; latency is measured from that instant
///   (so a stall shows as latency, not as fewer requests), against KMS's 250 ms timeout and a 10 ms p99 target.
/// </summary>
internal static class XksBench
{
    private const string AccessKey = "AKIAXKSBENCHMARK2345";
    private const string Secret = "xksBenchSecret0123456789abcdefghijABCDEFGHIJ+";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var levels = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [1, 4, 16];
        var rate = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1800;
        var rateSeconds = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 60;
        var duration = TimeSpan.FromSeconds(seconds);
        var warmup = TimeSpan.FromSeconds(Math.Max(1, seconds / 3));

        var dir = Directory.CreateTempSubdirectory("keyward-xks-bench").FullName;
        const string token = "xks-bench";
        HsmBench.SetUpSoftHsm(dir, token);
        var module = Pkcs11Module.Load("/usr/lib/softhsm/libsofthsm2.so");
        var pin = Encoding.UTF8.GetBytes(HsmBench.Pin);
        var hsm = new Hsm(module, token, pin, 64, TimeSpan.FromSeconds(5));
        hsm.Open();
        var key = hsm.Run(s => s.GenerateKey(CKM.AES_KEY_GEN,
            Template.AesKey(AesKeyUse.EncryptDecrypt, token: true, extractable: false, generate: true).Text(CKA.LABEL, "bench-external-key")));
        var slot = module.FindSlot(token)!.Value;

        Environment.SetEnvironmentVariable("KEYWARD_XKS_BENCH_PIN", HsmBench.Pin);
        await using var proxy = await XksProxyHost.StartAsync(new XksProxyOptions
        {
            Listen = "http://127.0.0.1:0", AllowPlainHttp = true, PinEnvironmentVariable = "KEYWARD_XKS_BENCH_PIN",
            Cluster = new HsmClusterOptions { Id = "xks-bench", Module = module.Path, Hsms = [new HsmOptions { Token = token }], MaxSessionsPerHsm = 64 },
            Tenants = [new XksTenantOptions { UriPathPrefix = "/bench", RequestsPerSecond = 1_000_000, Credentials = [new XksCredential { AccessKeyId = AccessKey, SecretAccessKey = Secret }] }],
        }, configPath: null, quiet: true); // no per-request log lines on the console, which would share the two cores

        using var cluster = HsmCluster.Connect(new HsmClusterOptions { Id = "xks-bench-store", Module = module.Path, Hsms = [new HsmOptions { Token = token }], MaxSessionsPerHsm = 64 },
            pin, clusterKey: false);
        var store = new ExternalKeyStore(cluster, TimeProvider.System);

        // What KMS sends: the inner ciphertext of a 1 KiB plaintext is a little over 1 KiB; AAD is the KMS key's context.
        var plaintext = RandomNumberGenerator.GetBytes(1024);
        var aad = RandomNumberGenerator.GetBytes(64);
        var hsmAad = XksCrypto.HsmAad(aad, []);
        var body = Encoding.UTF8.GetBytes(
            $$"""{"requestMetadata":{"awsPrincipalArn":"arn:aws:iam::111122223333:role/bench","kmsOperation":"Encrypt","kmsRequestId":"{{Guid.NewGuid()}}","kmsKeyArn":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},"plaintext":"{{Convert.ToBase64String(plaintext)}}","additionalAuthenticatedData":"{{Convert.ToBase64String(aad)}}","encryptionAlgorithm":"AES_GCM"}""");
        var url = new Uri(proxy.Address, "/bench/kms/xks/v1/keys/bench-external-key/encrypt");
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };

        Console.WriteLine($"# Keyward XKS proxy benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, SoftHSM2, {seconds}s per closed-loop cell");
        Console.WriteLine();
        Console.WriteLine("| concurrency | workload | ops/s | p50 ms | p99 ms | errors | ops/s ÷ direct C_Encrypt |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var c in levels)
        {
            var direct = HsmBench.Loop(c, warmup, duration, () =>
            {
                var session = Pkcs11Session.Open(module, slot);
                var iv = new byte[12];
                return () =>
                {
                    session.GenerateRandom(iv);
                    module.EnterCall();
                    try { session.EncryptGcm(key, iv, hsmAad, plaintext); }
                    finally { module.ExitCall(); }
                };
            });
            var inProcess = HsmBench.Loop(c, warmup, duration,
                () => () => store.EncryptAsync("bench-external-key", plaintext, hsmAad).AsTask().GetAwaiter().GetResult());
            var xks = await ClosedLoop(http, url, body, c, warmup, duration);
            var health = await ClosedLoop(http, new Uri(proxy.Address, "/bench/kms/xks/v1/health"),
                """{"requestMetadata":{"kmsRequestId":"bench","kmsOperation":"KmsHealthCheck"}}"""u8.ToArray(), c, warmup, duration);
            foreach (var (name, r) in new[]
                     {
                         ("direct C_GenerateRandom + C_Encrypt loop (CKM_AES_GCM, 1 KiB)", direct),
                         ("proxy's external key store Encrypt, in process (pool, key lookup, state and usage checks)", inProcess),
                         ("XKS Encrypt request over HTTP (SigV4, JSON, the above)", xks),
                         ("for scale: XKS GetHealthStatus over HTTP (SigV4, cached answer, no HSM call)", health),
                     })
                Console.WriteLine(FormattableString.Invariant(
                    $"| {c} | {name} | {r.RequestsPerSecond:F0} | {r.P50Ms:F3} | {r.P99Ms:F3} | {r.Errors} | {r.RequestsPerSecond / direct.RequestsPerSecond:P0} |"));
        }

        Console.WriteLine();
        await KeywardThroughProxyAsync(proxy.Address, dir, plaintext, levels, warmup, duration);

        Console.WriteLine();
        var open = await OpenLoop.RunAsync(http, () => Sign(url, body), rate, TimeSpan.FromSeconds(rateSeconds));
        Console.WriteLine(FormattableString.Invariant(
            $"Open loop: {open.Sent} XKS Encrypt requests scheduled at {rate}/s for {rateSeconds:F0} s; {open.Achieved:F0} completed per second; latency from the scheduled instant p50 {open.P50:F2} ms, p99 {open.P99:F2} ms, p99.9 {open.P999:F2} ms, max {open.Max:F2} ms; {open.Errors} errors; {open.Over250} over 250 ms."));
        hsm.Dispose();
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return 0;
    }

    /// <summary>Keyward's Encrypt for an external-key-store key (through the proxy) against Encrypt for a default-store key, same server.</summary>
    private static async Task KeywardThroughProxyAsync(Uri proxyAddress, string dir, byte[] plaintext, int[] levels, TimeSpan warmup, TimeSpan duration)
    {
        const string accessKey = "AKIABENCHMARK0000001";
        const string secret = "benchmark-secret-0123456789abcdefghijklmn";
        await using var keyward = await KmsHost.StartAsync(new KmsServerOptions
        {
            Listen = "http://127.0.0.1:0", DataDir = Path.Combine(dir, "data"), AccessKeyId = accessKey, SecretAccessKey = secret, Console = TextWriter.Null,
            RequestQuotas = Keyward.Core.Service.RequestQuotaOptions.Off, AccessLog = false,
            XksAllowPlainHttp = true,
        });
        var load = new LoadGenerator(keyward.Url, accessKey, secret, "us-east-1");
        var storeId = (await HsmBench.Call(keyward, load, "CreateCustomKeyStore",
            $$$"""{"CustomKeyStoreName":"bench","CustomKeyStoreType":"EXTERNAL_KEY_STORE","XksProxyUriEndpoint":"{{{proxyAddress.GetLeftPart(UriPartial.Authority)}}}","XksProxyUriPath":"/bench/kms/xks/v1","XksProxyConnectivity":"PUBLIC_ENDPOINT","XksProxyAuthenticationCredential":{"AccessKeyId":"{{{AccessKey}}}","RawSecretAccessKey":"{{{Secret}}}"}}""")).GetProperty("CustomKeyStoreId").GetString();
        await HsmBench.Call(keyward, load, "ConnectCustomKeyStore", $$"""{"CustomKeyStoreId":"{{storeId}}"}""");
        var xksKey = (await HsmBench.Call(keyward, load, "CreateKey", $$"""{"CustomKeyStoreId":"{{storeId}}","Origin":"EXTERNAL_KEY_STORE","XksKeyId":"bench-external-key"}"""))
            .GetProperty("KeyMetadata").GetProperty("KeyId").GetString();
        var softKey = (await HsmBench.Call(keyward, load, "CreateKey", "{}")).GetProperty("KeyMetadata").GetProperty("KeyId").GetString();
        var b64 = Convert.ToBase64String(plaintext);
        var xksBody = Encoding.UTF8.GetBytes($$"""{"KeyId":"{{xksKey}}","Plaintext":"{{b64}}"}""");
        var softBody = Encoding.UTF8.GetBytes($$"""{"KeyId":"{{softKey}}","Plaintext":"{{b64}}"}""");

        Console.WriteLine("Keyward through the proxy (1 KiB Encrypt requests to Keyward, same server and run):");
        Console.WriteLine();
        Console.WriteLine("| concurrency | workload | ops/s | p50 ms | p99 ms | errors | ops/s ÷ default-store Encrypt |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var c in levels)
        {
            var soft = await load.RunAsync("Encrypt", softBody, c, warmup, duration);
            var xks = await load.RunAsync("Encrypt", xksBody, c, warmup, duration);
            foreach (var (name, r) in new[] { ("Encrypt, default-store key", soft), ("Encrypt, external-key-store key (Keyward → XKS proxy → SoftHSM2)", xks) })
                Console.WriteLine(FormattableString.Invariant(
                    $"| {c} | {name} | {r.RequestsPerSecond:F0} | {r.P50Ms:F3} | {r.P99Ms:F3} | {r.Errors} | {r.RequestsPerSecond / soft.RequestsPerSecond:P0} |"));
        }
    }

    private static HttpRequestMessage Sign(Uri url, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        // As KMS signs: host and x-amz-date.
        var headers = new Dictionary<string, string> { ["host"] = $"{url.Host}:{url.Port}" };
        var (date, auth) = SigV4Signer.Sign("POST", url.AbsolutePath, "", headers, body, AccessKey, Secret, "us-east-1", "kms-xks-proxy", DateTimeOffset.UtcNow);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", date);
        request.Headers.TryAddWithoutValidation("Authorization", auth);
        return request;
    }

    private static async Task<LoadGenerator.Result> ClosedLoop(HttpClient http, Uri url, byte[] body, int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        var latencies = new List<double>[concurrency];
        long errors = 0;
        var clock = Stopwatch.StartNew();
        var recordFrom = warmup.Ticks;
        var end = (warmup + duration).Ticks;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(1 << 16);
            while (clock.Elapsed.Ticks < end)
            {
                var start = Stopwatch.GetTimestamp();
                var record = clock.Elapsed.Ticks >= recordFrom;
                using var response = await http.SendAsync(Sign(url, body));
                await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != System.Net.HttpStatusCode.OK) Interlocked.Increment(ref errors);
                if (record) mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        })));
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadGenerator.Result(all.Length / duration.TotalSeconds, Percentile(all, 0.50), Percentile(all, 0.99), errors);
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
