using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Keyward.Core.KeyStores;

namespace Keyward.Xks;

/// <summary>
/// Opens XKS proxy connections for the server (<see cref="IXksProxies"/>). One HTTP client for every store: TLS 1.2
/// or 1.3, certificates checked against the system's roots or, when <paramref name="trustedCertificateAuthorities"/>
/// names a PEM file, against its certificates only (a proxy with a private CA). Plain http:// endpoints are refused
/// unless <paramref name="allowPlainHttp"/> (tests, or a proxy on the same host).
/// </summary>
public sealed class XksProxies : IXksProxies, IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _allowPlainHttp;
    private readonly string _region;
    private readonly TimeProvider _time;
    private readonly TimeSpan _attemptTimeout;

    /// <param name="attemptTimeout">One call's timeout; AWS's 250 ms when null (tests of other things on a loaded machine pass more).</param>
    public XksProxies(string region, string? trustedCertificateAuthorities, bool allowPlainHttp, TimeProvider? time = null, TimeSpan? attemptTimeout = null)
    {
        _region = region;
        _allowPlainHttp = allowPlainHttp;
        _time = time ?? TimeProvider.System;
        _attemptTimeout = attemptTimeout ?? XksClient.DefaultAttemptTimeout;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = _attemptTimeout,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions { EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13 },
        };
        if (trustedCertificateAuthorities is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(trustedCertificateAuthorities);
            if (roots.Count == 0) throw new InvalidOperationException($"'{trustedCertificateAuthorities}' holds no PEM certificate.");
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                // The host name must still match; only the chain is judged against the configured roots.
                if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
        }
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public IXksProxy Open(XksProxyAddress address, string accessKeyId, ReadOnlySpan<byte> secret)
    {
        if (CheckEndpoint(address.UriEndpoint) is { } problem) throw new XksProxyException(XksProxyFailure.Unreachable, problem);
        // SigV4 keys are derived from the secret as a string; it lives as long as the connection.
        var client = new XksClient(_http, new Uri(address.UriEndpoint), address.UriPath, accessKeyId, Encoding.UTF8.GetString(secret),
            address.Region ?? _region, _time, _attemptTimeout);
        return new XksProxyConnection(client);
    }

    public string? CheckEndpoint(string uriEndpoint)
    {
        if (!Uri.TryCreate(uriEndpoint, UriKind.Absolute, out var uri))
            return "XksProxyUriEndpoint must be https:// followed by a host name and optionally a port.";
        var schemeAllowed = uri.Scheme == Uri.UriSchemeHttps || (_allowPlainHttp && uri.Scheme == Uri.UriSchemeHttp);
        if (!schemeAllowed || uri.UserInfo.Length > 0 || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uriEndpoint.EndsWith('/'))
            return _allowPlainHttp
                ? "XksProxyUriEndpoint must be https:// or http:// followed by a host name and optionally a port, with no path."
                : "XksProxyUriEndpoint must be https:// followed by a host name and optionally a port, with no path.";
        return null;
    }

    public void Dispose() => _http.Dispose();
}
