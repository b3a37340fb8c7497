using System.Security.Cryptography;
using Keyward.Protocol;
using Keyward.Protocol.Xks;

namespace Keyward.XksProxy;

internal sealed partial class XksOperations
{
    private readonly Lock _healthGate = new();
    private (DateTimeOffset At, XksHealthResponse Response)? _health;

    /// <summary>
    /// GetHealthStatus: each HSM ACTIVE (a deep check with the test key passed: encrypt and decrypt a block),
    /// DEGRADED (it answers but the deep check failed) or UNAVAILABLE (out of service). Cached for healthCacheSeconds (30 by
    /// default), within the specification's minute. Exempt from every other check but SigV4.
    /// </summary>
    public XksHealthResponse Health()
    {
        lock (_healthGate)
        {
            var now = time.GetUtcNow();
            if (_health is { } cached && now - cached.At < TimeSpan.FromSeconds(options.HealthCacheSeconds)) return cached.Response;
            var details = store.Cluster.Hsms.Select(hsm => new XksEkmDetail(hsm.TokenLabel, options.EkmVendor, Check(hsm))).Take(10).ToList();
            var response = new XksHealthResponse(1, options.Vendor, options.Model, options.EkmVendor, details);
            _health = (now, response);
            return response;
        }
    }

    private string Check(Keyward.Pkcs11.Hsm hsm)
    {
        if (!hsm.Healthy) return "UNAVAILABLE";
        if (options.HealthCheckKey is not { } label) return "ACTIVE";
        try
        {
            var ok = hsm.Run(session =>
            {
                var key = Keyward.Pkcs11.HsmCluster.FindSecretKey(session, label);
                if (key is not { } k) return false;
                var iv = new byte[ExternalKeyStore.IvSize];
                session.GenerateRandom(iv);
                var block = RandomNumberGenerator.GetBytes(32);
                var sealedData = session.EncryptGcm(k, iv, "keyward-xks-health"u8, block);
                return ConstantTime.AreEqual(session.DecryptGcm(k, iv, "keyward-xks-health"u8, sealedData), block);
            });
            return ok ? "ACTIVE" : "DEGRADED";
        }
        catch (Exception e) when (Keyward.Pkcs11.Pkcs11Errors.IsHsmFailure(e))
        {
            return hsm.Healthy ? "DEGRADED" : "UNAVAILABLE";
        }
    }
}
