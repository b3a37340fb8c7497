using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keyward.Server.Operations;

/// <summary>
/// <c>serve --admin-listen</c>: a listener of its own for <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>, so a
/// deployment can keep them on an internal address while the KMS address answers only the KMS API (where they are
/// then 400 MissingAuthenticationTokenException, as any unsigned request). Anything else here is 404.
/// </summary>
internal sealed class AdminListener : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdminListener(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <param name="certificate">The KMS listener's certificate, for an https:// admin address.</param>
    public static async Task<AdminListener> StartAsync(string listen, OpsEndpoints ops,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(listen);
        if (certificate is not null) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 0; // these endpoints read no body
            if (certificate is not null) k.ConfigureHttpsDefaults(https => Hosting.ServerTls.Configure(https, certificate));
        });
        var app = builder.Build();
        app.Run(context =>
        {
            if (ops.TryHandle(context, out var handled)) return handled;
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        try { await app.StartAsync(ct); }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new AdminListener(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
