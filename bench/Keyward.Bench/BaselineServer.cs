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
/// The baseline: the least a KMS-like server on Kestrel can do per request. It reads the same
/// body the load generator sends Keyward, performs one AES-256-GCM encryption of 1 KiB, and
/// answers with a small JSON body. No SigV4, no JSON parsing, no storage.
/// </summary>
internal static class BaselineServer
{
    public static async Task<(WebApplication App, Uri Url)> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        var key = RandomNumberGenerator.GetBytes(32);
        var plaintext = RandomNumberGenerator.GetBytes(1024);
        app.Run(async context =>
        {
            var buffer = new byte[context.Request.ContentLength ?? 4096];
            var total = 0;
            int n;
            while (total < buffer.Length && (n = await context.Request.Body.ReadAsync(buffer.AsMemory(total))) > 0) total += n;
            var iv = new byte[12];
            RandomNumberGenerator.Fill(iv);
            var ciphertext = new byte[plaintext.Length];
            var tag = new byte[16];
            using (var aes = new AesGcm(key, 16)) aes.Encrypt(iv, plaintext, ciphertext, tag);
            var body = "{\"CiphertextBlob\":\""u8.ToArray().Concat(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(ciphertext))).Concat("\"}"u8.ToArray()).ToArray();
            context.Response.ContentType = "application/x-amz-json-1.1";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return (app, url);
    }
}
