using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keyward.Bench;

/// <summary>
/// The baselines: the least a KMS-like server on Kestrel can do per request. It reads the same
/// body the load generator sends Keyward, performs the workload's one BCL operation with a key
/// held in process (AES-256-GCM of 1 KiB; SHA-256 and an ECDSA P-256 or RSA-2048 PKCS#1
/// signature; HMAC-SHA-256), and answers with a small JSON body. No SigV4, no JSON parsing,
/// no storage. The operation is chosen by the X-Amz-Target header and the signing algorithm
/// named in the body.
/// </summary>
internal static class BaselineServer
{
    public static async Task<(WebApplication App, Uri Url)> StartAsync(string listen = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(listen);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        var key = RandomNumberGenerator.GetBytes(32);
        var plaintext = RandomNumberGenerator.GetBytes(1024);
        var message = RandomNumberGenerator.GetBytes(256);
        // One key object per request thread: the BCL does not promise concurrent use of one.
        var ecdsa = new ThreadLocal<ECDsa>(() => { var k = ECDsa.Create(); k.ImportPkcs8PrivateKey(EcKey, out _); return k; });
        var rsa = new ThreadLocal<RSA>(() => { var k = RSA.Create(); k.ImportPkcs8PrivateKey(RsaKey, out _); return k; });
        app.Run(async context =>
        {
            var buffer = new byte[context.Request.ContentLength ?? 4096];
            var total = 0;
            int n;
            while (total < buffer.Length && (n = await context.Request.Body.ReadAsync(buffer.AsMemory(total))) > 0) total += n;
            byte[] output;
            switch (context.Request.Headers["X-Amz-Target"].ToString())
            {
                case "TrentService.Sign" when buffer.AsSpan().IndexOf("ECDSA"u8) >= 0:
                    output = ecdsa.Value!.SignHash(SHA256.HashData(message), DSASignatureFormat.Rfc3279DerSequence);
                    break;
                case "TrentService.Sign":
                    output = rsa.Value!.SignHash(SHA256.HashData(message), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                    break;
                case "TrentService.GenerateMac":
                    output = HMACSHA256.HashData(key, message);
                    break;
                default:
                    var iv = new byte[12];
                    RandomNumberGenerator.Fill(iv);
                    output = new byte[plaintext.Length];
                    var tag = new byte[16];
                    using (var aes = new AesGcm(key, 16)) aes.Encrypt(iv, plaintext, output, tag);
                    break;
            }
            var body = "{\"Output\":\""u8.ToArray().Concat(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(output))).Concat("\"}"u8.ToArray()).ToArray();
            context.Response.ContentType = "application/x-amz-json-1.1";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return (app, url);
    }

    private static readonly byte[] EcKey = ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKey();
    private static readonly byte[] RsaKey = RSA.Create(2048).ExportPkcs8PrivateKey();
}
