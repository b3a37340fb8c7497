using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keyward.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Keyward.Bench;

/// <summary>
/// `bench/run pq [seconds] [concurrencies] [rounds]`: Sign with ECC_NIST_EDWARDS25519 (ED25519_SHA_512) and ML_DSA_65
/// (ML_DSA_SHAKE_256) of a RAW 256-byte message, and Encapsulate with ML_KEM_768, each against a baseline server on
/// Kestrel doing the same BouncyCastle operation with a key held in process (no SigV4, no JSON parsing, no storage, no
/// audit), measured alternately in one run by the same load generator.
/// </summary>
internal static class PostQuantumBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var levels = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [1, 8, 32];
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var duration = TimeSpan.FromSeconds(seconds);
        var warmup = TimeSpan.FromSeconds(Math.Max(1, seconds / 3));
        const string accessKey = "AKIABENCHMARK0000001";
        const string secret = "benchmark-secret-0123456789abcdefghijklmn";

        var dataDir = Directory.CreateTempSubdirectory("keyward-pq-bench").FullName;
        var keyward = await KmsHost.StartAsync(new KmsServerOptions
        {
            Listen = "http://127.0.0.1:0", DataDir = dataDir, AccessKeyId = accessKey, SecretAccessKey = secret, Console = TextWriter.Null,
            RequestQuotas = Keyward.Core.Service.RequestQuotaOptions.Off, AccessLog = false,
        });
        var (baseline, baselineUrl) = await StartBaselineAsync();
        var load = new LoadGenerator(keyward.Url, accessKey, secret, "us-east-1");
        var baselineLoad = new LoadGenerator(baselineUrl, accessKey, secret, "us-east-1");

        async Task<string> NewKey(string spec, string usage)
        {
            using var http = new HttpClient { BaseAddress = keyward.Url };
            using var response = await http.SendAsync(load.Sign("CreateKey", Encoding.UTF8.GetBytes($"{{\"KeySpec\":\"{spec}\",\"KeyUsage\":\"{usage}\"}}")));
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"CreateKey: {text}");
            return JsonDocument.Parse(text).RootElement.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
        }
        var message = Convert.ToBase64String(RandomNumberGenerator.GetBytes(256));
        var ed = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{await NewKey("ECC_NIST_EDWARDS25519", "SIGN_VERIFY")}\",\"Message\":\"{message}\",\"SigningAlgorithm\":\"ED25519_SHA_512\"}}");
        var dsa = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{await NewKey("ML_DSA_65", "SIGN_VERIFY")}\",\"Message\":\"{message}\",\"SigningAlgorithm\":\"ML_DSA_SHAKE_256\"}}");
        var kem = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"{await NewKey("ML_KEM_768", "ENCAPSULATE_DECAPSULATE")}\",\"EncapsulationAlgorithm\":\"ML_KEM\"}}");
        (string Name, LoadGenerator Load, string Operation, byte[] Body, int Baseline)[] workloads =
        [
            ("baseline (Kestrel + 1 BouncyCastle Ed25519 sign)", baselineLoad, "Sign", ed, 0),
            ("Sign ECC_NIST_EDWARDS25519 ED25519_SHA_512", load, "Sign", ed, 0),
            ("baseline (Kestrel + 1 BouncyCastle ML-DSA-65 sign)", baselineLoad, "Sign", dsa, 2),
            ("Sign ML_DSA_65 ML_DSA_SHAKE_256", load, "Sign", dsa, 2),
            ("baseline (Kestrel + 1 BouncyCastle ML-KEM-768 encapsulation)", baselineLoad, "Encapsulate", kem, 4),
            ("Encapsulate ML_KEM_768", load, "Encapsulate", kem, 4),
        ];
        Console.WriteLine($"# Keyward post-quantum and Ed25519 benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {rounds} rounds of {seconds}s per cell");
        Console.WriteLine();
        await WorkloadTable.RunAsync(workloads, levels, rounds, warmup, duration);
        await baseline.StopAsync();
        await keyward.DisposeAsync(); // before its directory goes
        Directory.Delete(dataDir, recursive: true);
        return 0;
    }

    /// <summary>The least a server can do per request for these workloads: read the body, one BouncyCastle operation, a small JSON answer.</summary>
    private static async Task<(WebApplication App, Uri Url)> StartBaselineAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        var random = new SecureRandom();
        var message = RandomNumberGenerator.GetBytes(256);
        var edKey = new Ed25519PrivateKeyParameters(random);
        var dsaGenerator = new MLDsaKeyPairGenerator();
        dsaGenerator.Init(new MLDsaKeyGenerationParameters(random, MLDsaParameters.ml_dsa_65));
        var dsaKey = dsaGenerator.GenerateKeyPair().Private;
        var kemGenerator = new MLKemKeyPairGenerator();
        kemGenerator.Init(new MLKemKeyGenerationParameters(random, MLKemParameters.ml_kem_768));
        var kemKey = kemGenerator.GenerateKeyPair().Public;
        app.Run(async context =>
        {
            var buffer = new byte[context.Request.ContentLength ?? 4096];
            var total = 0;
            int n;
            while (total < buffer.Length && (n = await context.Request.Body.ReadAsync(buffer.AsMemory(total))) > 0) total += n;
            byte[] output;
            if (context.Request.Headers["X-Amz-Target"].ToString() == "TrentService.Encapsulate")
            {
                var encapsulator = new MLKemEncapsulator(MLKemParameters.ml_kem_768);
                encapsulator.Init(new ParametersWithRandom(kemKey, random));
                output = new byte[encapsulator.EncapsulationLength];
                var shared = new byte[encapsulator.SecretLength];
                encapsulator.Encapsulate(output, shared);
            }
            else if (buffer.AsSpan().IndexOf("ML_DSA"u8) >= 0)
            {
                var signer = new MLDsaSigner(MLDsaParameters.ml_dsa_65, deterministic: false);
                signer.Init(true, new ParametersWithRandom(dsaKey, random));
                signer.BlockUpdate(message);
                output = signer.GenerateSignature();
            }
            else
            {
                var signer = new Ed25519Signer();
                signer.Init(true, edKey);
                signer.BlockUpdate(message);
                output = signer.GenerateSignature();
            }
            var body = Encoding.ASCII.GetBytes("{\"Output\":\"" + Convert.ToBase64String(output) + "\"}");
            context.Response.ContentType = "application/x-amz-json-1.1";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }
}
