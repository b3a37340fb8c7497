using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Keyward.Pkcs11;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keyward.XksProxy;

/// <summary>
/// `keyward xks-proxy`: Kestrel in front of one PKCS#11 cluster. HTTPS with TLS 1.2/1.3 and the configured
/// certificate (optionally mutual TLS against a configured client CA and subject); plain HTTP only when the
/// configuration asks for it. The HSM PIN comes from an environment variable and is zeroed after login.
/// </summary>
public sealed class XksProxyHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HsmCluster _cluster;

    public Uri Address { get; }

    private XksProxyHost(WebApplication app, HsmCluster cluster, Uri address)
    {
        _app = app;
        _cluster = cluster;
        Address = address;
    }

    public static async Task<XksProxyHost> StartAsync(XksProxyOptions options, string? configPath, bool quiet = false, CancellationToken ct = default)
    {
        options.Validate();
        // SigV4 verification hashes on libcrypto directly (Keyward.OpenSsl).
        if (Keyward.OpenSsl.SelfTest.Run() is { } broken) throw new XksConfigurationException($"libcrypto: {broken}.");
        var pinText = Environment.GetEnvironmentVariable(options.PinEnvironmentVariable)
                      ?? throw new XksConfigurationException($"Set the HSM user PIN in the environment variable {options.PinEnvironmentVariable}.");
        var pin = Encoding.UTF8.GetBytes(pinText);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (!quiet) builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        var tls = LoadTls(options);
        var listen = new Uri(options.Listen);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            foreach (var address in ListenAddresses(listen)) k.Listen(address, listen.Port, l =>
            {
                if (tls is not { } t) return;
                l.UseHttps(https =>
                {
                    https.ServerCertificate = t.Certificate;
                    https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                    // The specification's suites only (AES-256-GCM or ChaCha20-Poly1305, forward secret).
                    if (!OperatingSystem.IsWindows())
                    {
                        var suites = new CipherSuitesPolicy(
                        [
                            TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
                            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                        ]);
                        https.OnAuthenticate = (_, ssl) => ssl.CipherSuitesPolicy = suites;
                    }
                    if (t.ClientCa is null) return;
                    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    https.ClientCertificateValidation = (certificate, _, _) => ClientAllowed(certificate, t.ClientCa, options.Tls!.ClientSubject);
                });
            });
        });
        // PKCS#11 calls block their thread, and a slow HSM holds one per session: enough pool threads for every session
        // to be busy while requests still get read, answered and refused (DependencyTimeoutException) without starving.
        ThreadPool.GetMinThreads(out var workers, out var completion);
        ThreadPool.SetMinThreads(Math.Max(workers, options.Cluster.MaxSessionsPerHsm * options.Cluster.Hsms.Count + Environment.ProcessorCount), completion);
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Keyward.XksProxy");
        HsmCluster cluster;
        try { cluster = HsmCluster.Connect(options.Cluster, pin, m => Log.Note(logger, m), clusterKey: false); }
        finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(pin); }
        try
        {
            var store = new ExternalKeyStore(cluster, TimeProvider.System);
            var tenants = new XksTenants(configPath, options, TimeProvider.System, m => Log.Note(logger, m));
            var handler = new XksRequestHandler(tenants, new XksOperations(store, options, TimeProvider.System), logger);
            app.Run(handler.HandleAsync);
            await app.StartAsync(ct);
            var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            Log.Note(logger, $"Keyward XKS proxy listening on {bound} for {options.Tenants.Count} URI path prefix(es), HSM cluster {options.Cluster.Id}");
            return new XksProxyHost(app, cluster, bound);
        }
        catch
        {
            cluster.Dispose();
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>The addresses of the listen URI's host: an IP address, localhost (loopback), or a host name resolved once at start.</summary>
    private static IPAddress[] ListenAddresses(Uri listen)
    {
        if (IPAddress.TryParse(listen.Host.Trim('[', ']'), out var ip)) return [ip];
        if (listen.IsLoopback) return [IPAddress.Loopback];
        try
        {
            var resolved = Dns.GetHostAddresses(listen.Host);
            return resolved.Length > 0 ? resolved : throw new XksConfigurationException($"The listen host '{listen.Host}' has no address.");
        }
        catch (System.Net.Sockets.SocketException e) { throw new XksConfigurationException($"The listen host '{listen.Host}' cannot be resolved: {e.SocketErrorCode}."); }
    }

    private static (X509Certificate2 Certificate, X509Certificate2? ClientCa)? LoadTls(XksProxyOptions options)
    {
        if (options.Tls is not { } t || !options.Listen.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(t.Certificate, t.Key);
            var ca = t.ClientCa is null ? null : X509Certificate2.CreateFromPem(File.ReadAllText(t.ClientCa));
            return (certificate, ca);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new XksConfigurationException($"Cannot load the TLS files ('{t.Certificate}', '{t.Key}'{(t.ClientCa is null ? "" : $", '{t.ClientCa}'")}): {e.GetType().Name}.");
        }
    }

    /// <summary>Mutual TLS: the client certificate must chain to the configured CA (and only it) and have the configured subject.</summary>
    internal static bool ClientAllowed(X509Certificate2 certificate, X509Certificate2 ca, string? subject)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(certificate)) return false;
        return subject is null || string.Equals(certificate.Subject, subject, StringComparison.Ordinal)
               || string.Equals(certificate.GetNameInfo(X509NameType.SimpleName, false), subject.StartsWith("CN=", StringComparison.Ordinal) ? subject[3..] : subject, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _cluster.Dispose();
    }
}
