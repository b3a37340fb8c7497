using System.Collections.Frozen;
using Keyward.Protocol.Quotas;
using Keyward.Protocol.SigV4;

namespace Keyward.XksProxy;

/// <summary>
/// The tenants (URI path prefixes) with their credentials, keys and rate limits. The configuration file is
/// looked at again at most once a second and its tenants replace these when it changed and is valid, so
/// credentials rotate without a restart; a file that no longer parses keeps the previous set (and is logged).
/// </summary>
internal sealed class XksTenants(string? path, XksProxyOptions initial, TimeProvider time, Action<string> log)
{
    private volatile FrozenDictionary<string, Tenant> _byPrefix = Build(initial, time);
    private DateTime _fileTime = path is null ? default : File.GetLastWriteTimeUtc(path);
    private long _checkedAt = Environment.TickCount64;

    public Tenant? Find(string prefix)
    {
        Reload();
        return _byPrefix.GetValueOrDefault(prefix);
    }

    private void Reload()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _checkedAt);
        if (path is null || now - last < 1000 || Interlocked.CompareExchange(ref _checkedAt, now, last) != last) return;
        try
        {
            var written = File.GetLastWriteTimeUtc(path);
            if (written == _fileTime) return;
            _fileTime = written;
            var options = XksProxyOptions.Load(path);
            _byPrefix = Build(options, time, _byPrefix);
            log($"Reloaded the tenants and credentials from {path}.");
        }
        catch (Exception e) when (e is XksConfigurationException or IOException)
        {
            log($"Kept the previous tenants: {e.Message}");
        }
    }

    private static FrozenDictionary<string, Tenant> Build(XksProxyOptions options, TimeProvider time, FrozenDictionary<string, Tenant>? previous = null) =>
        options.Tenants.ToFrozenDictionary(t => t.UriPathPrefix, t =>
            new Tenant(t, time, previous?.GetValueOrDefault(t.UriPathPrefix)?.Limiter is { } l && l.Rate == t.RequestsPerSecond ? l : new TokenBucket(t.RequestsPerSecond)),
            StringComparer.Ordinal);

    internal sealed class Tenant
    {
        private readonly FrozenDictionary<string, string> _secrets;
        private readonly FrozenSet<string>? _keys;

        public Tenant(XksTenantOptions options, TimeProvider time, TokenBucket limiter)
        {
            Prefix = options.UriPathPrefix;
            _secrets = options.Credentials.ToFrozenDictionary(c => c.AccessKeyId, c => c.SecretAccessKey, StringComparer.Ordinal);
            _keys = options.Keys?.ToFrozenSet(StringComparer.Ordinal);
            // Any region: the region in the credential scope is the KMS Region of the caller's key store.
            Verifier = new SigV4Verifier("kms-xks-proxy", _ => true, id => _secrets.GetValueOrDefault(id), time);
            Limiter = limiter;
            Authorization = options.Authorization;
        }

        public XksAuthorizationOptions? Authorization { get; }

        public string Prefix { get; }
        public SigV4Verifier Verifier { get; }
        public TokenBucket Limiter { get; }

        public bool MayUse(string keyId) => _keys is null || _keys.Contains(keyId);
    }
}
