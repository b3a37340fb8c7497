using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Keyward.Server.Hosting;

/// <summary>
/// HTTPS for `keyward serve`: a PEM certificate and key from files, TLS 1.2 and 1.3 only.
/// An https:// listen address without them, or files without an https:// address, is a
/// configuration error reported before anything starts.
/// </summary>
internal static class ServerTls
{
    public static X509Certificate2? Load(KmsServerOptions options)
    {
        var https = options.Listen.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        var files = options.TlsCertificateFile is not null || options.TlsKeyFile is not null;
        if (!https && !files) return null;
        if (!https) throw new ServerConfigurationException("--tls-cert and --tls-key need an https:// listen address.");
        if (options.TlsCertificateFile is null || options.TlsKeyFile is null)
            throw new ServerConfigurationException("An https:// listen address needs --tls-cert and --tls-key (PEM files).");
        try
        {
            return X509Certificate2.CreateFromPemFile(options.TlsCertificateFile, options.TlsKeyFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            // The message names the files, never their content.
            throw new ServerConfigurationException($"Cannot load the TLS certificate '{options.TlsCertificateFile}' with key '{options.TlsKeyFile}': {e.GetType().Name}.");
        }
    }

    public static void Configure(HttpsConnectionAdapterOptions https, X509Certificate2 certificate)
    {
        https.ServerCertificate = certificate;
        https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
    }
}
