using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.Core.KeyStores;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Pkcs11;
using Keyward.Pkcs11.Interop;
using Keyward.Tests.Shared;
using Keyward.Xks;
using Keyward.XksProxy;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// An XKS proxy in front of two HSMs that hold the same external key (SoftHSM2 tokens behind fault-injecting shims),
/// under load from Keyward through the AWS SDK for .NET: one HSM fails mid-load and no request fails, the proxy's
/// GetHealthStatus reports it UNAVAILABLE and the other ACTIVE; both fail and Keyward answers KMSInvalidStateException
/// while the load balancer check answers 503; they return and everything recovers by itself.
/// </summary>
public sealed class XksProxyFailoverTests : IAsyncLifetime
{
    private const string AccessKey = "AKIAXKSFAILOVER23456";
    private const string Secret = "xksFailoverSecret0123456789abcdefghijABCDEFGH";
    private readonly FaultyHsm _a = new();
    private readonly FaultyHsm _b = new();
    // Failover, not timing, is under test: on a machine loaded by the rest of the suite a proxy call can take longer than
    // AWS's 250 ms (the timeout itself is tested in ExternalKeyStoreTests).
    private static readonly TimeSpan ProxyAnswerWait = TimeSpan.FromSeconds(5);
    private readonly ServerFixture _server = new() { LifecycleJob = false, XksAllowPlainHttp = true, XksAttemptTimeout = ProxyAnswerWait };
    private XksProxyHost _proxy = null!;
    private AmazonKeyManagementServiceClient _kms = null!;

    public async Task InitializeAsync()
    {
        // The same key material on both HSMs (as an HSM cluster replicates it), sensitive and not extractable.
        var value = RandomNumberGenerator.GetBytes(32);
        foreach (var token in new[] { _a.Token, _b.Token })
        {
            using var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), token, Encoding.UTF8.GetBytes(SoftHsm.Pin), 2, TimeSpan.FromSeconds(5));
            hsm.Open();
            foreach (var label in new[] { "shared-key", "health-key" })
                hsm.Run(s => s.CreateObject(new Template().ULong(CKA.CLASS, CKO.SECRET_KEY).ULong(CKA.KEY_TYPE, CKK.AES).Bytes(CKA.VALUE, value)
                    .Bool(CKA.TOKEN, true).Bool(CKA.PRIVATE, true).Bool(CKA.SENSITIVE, true).Bool(CKA.EXTRACTABLE, false)
                    .Bool(CKA.ENCRYPT, true).Bool(CKA.DECRYPT, true).Text(CKA.LABEL, label)));
        }
        Environment.SetEnvironmentVariable("KEYWARD_XKS_FAILOVER_PIN", SoftHsm.Pin);
        _proxy = await XksProxyHost.StartAsync(new XksProxyOptions
        {
            Listen = "http://127.0.0.1:0", AllowPlainHttp = true, PinEnvironmentVariable = "KEYWARD_XKS_FAILOVER_PIN", HealthCheckKey = "health-key", HealthCacheSeconds = 0,
            Cluster = new HsmClusterOptions
            {
                Id = "xks-failover", HealthCheckMilliseconds = 100,
                Hsms =
                [
                    new HsmOptions { Token = _a.Token, Module = _a.Module, Environment = _a.Environment },
                    new HsmOptions { Token = _b.Token, Module = _b.Module, Environment = _b.Environment },
                ],
            },
            Tenants = [new XksTenantOptions { UriPathPrefix = "/ha", Credentials = [new XksCredential { AccessKeyId = AccessKey, SecretAccessKey = Secret }] }],
        }, configPath: null, quiet: true);
        await _server.InitializeAsync();
        _kms = _server.Client();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _proxy.DisposeAsync();
        _a.Dispose();
        _b.Dispose();
    }

    [Fact]
    public async Task One_hsm_failing_mid_load_fails_no_request_and_health_shows_which()
    {
        var storeId = (await _kms.CreateCustomKeyStoreAsync(new CreateCustomKeyStoreRequest
        {
            CustomKeyStoreName = "ha", CustomKeyStoreType = CustomKeyStoreType.EXTERNAL_KEY_STORE, XksProxyUriEndpoint = _proxy.Address.GetLeftPart(UriPartial.Authority),
            XksProxyUriPath = "/ha/kms/xks/v1", XksProxyConnectivity = XksProxyConnectivityType.PUBLIC_ENDPOINT,
            XksProxyAuthenticationCredential = new XksProxyAuthenticationCredentialType { AccessKeyId = AccessKey, RawSecretAccessKey = Secret },
        })).CustomKeyStoreId;
        await _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        var keyId = (await _kms.CreateKeyAsync(new CreateKeyRequest { Origin = OriginType.EXTERNAL_KEY_STORE, CustomKeyStoreId = storeId, XksKeyId = "shared-key" })).KeyMetadata.KeyId;
        var health = new XksClient(new HttpClient(), _proxy.Address, "/ha/kms/xks/v1", AccessKey, Secret, "us-east-1", TimeProvider.System,
            ProxyAnswerWait);
        async Task<string[]> Statuses() => (await health.HealthAsync("KmsHealthCheck", Guid.NewGuid().ToString(), default)).EkmFleetDetails.Select(d => d.HealthStatus).ToArray();
        Assert.Equal(["ACTIVE", "ACTIVE"], await Statuses());

        var load = RoundTripLoad.Start(_server, keyId);
        await load.WaitForMoreAsync(50);
        _a.Kill();
        await load.WaitForMoreAsync(100);
        Assert.Equal(["UNAVAILABLE", "ACTIVE"], await Statuses());
        _a.Start();
        await Eventually.WaitFor(async () => (await Statuses())[0] == "ACTIVE"); // the cluster's health check (every 100 ms) brings A back
        _b.Kill();
        await load.WaitForMoreAsync(100);
        var failures = await load.StopAsync();
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Both down: the proxy answers InternalException, Keyward KMSInvalidStateException, the load balancer check 503.
        _a.Kill();
        var proxyError = await Assert.ThrowsAsync<XksProxyException>(() => health.EncryptAsync("shared-key", new Keyward.Protocol.Xks.XksRequestMetadata
        {
            AwsPrincipalArn = "arn:aws:iam::111122223333:root", KmsOperation = "Encrypt", KmsRequestId = "r",
        }, [1, 2, 3], null, cdiv: false, default));
        Assert.Equal(Keyward.Protocol.Xks.XksErrorName.InternalException, proxyError.ErrorName);
        var refused = await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream([1]) }));
        Assert.Contains("InternalException", refused.Message);
        using var http = new HttpClient();
        await Eventually.WaitFor(async () => (await http.GetAsync(new Uri(_proxy.Address, "/healthz"))).StatusCode == HttpStatusCode.ServiceUnavailable);
        _a.Start();
        _b.Start();
        await Eventually.WaitFor(async () =>
        {
            try { await _kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream([1]) }); return true; }
            catch (KMSInvalidStateException) { return false; }
        });
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(_proxy.Address, "/healthz"))).StatusCode);
    }

    /// <summary>
    /// An HSM that answers but is too busy to lend a session in time: DependencyTimeoutException (503, retryable), not
    /// InternalException. One session, a 100 ms wait for it, and an HSM slowed to 150 ms a call, so one request holds
    /// the session while the next one waits in vain.
    /// </summary>
    [Fact]
    public async Task An_hsm_too_busy_to_lend_a_session_in_time_answers_DependencyTimeoutException()
    {
        await using var busy = await XksProxyHost.StartAsync(new XksProxyOptions
        {
            Listen = "http://127.0.0.1:0", AllowPlainHttp = true, PinEnvironmentVariable = "KEYWARD_XKS_FAILOVER_PIN",
            Cluster = new HsmClusterOptions
            {
                Id = "xks-busy", MaxSessionsPerHsm = 1, SessionWaitMilliseconds = 100,
                Hsms = [new HsmOptions { Token = _a.Token, Module = _a.Module, Environment = _a.Environment }],
            },
            Tenants = [new XksTenantOptions { UriPathPrefix = "/busy", Credentials = [new XksCredential { AccessKeyId = AccessKey, SecretAccessKey = Secret }] }],
        }, configPath: null, quiet: true);
        var metadata = new Keyward.Protocol.Xks.XksRequestMetadata { AwsPrincipalArn = "arn:aws:iam::111122223333:root", KmsOperation = "Encrypt", KmsRequestId = "r" };
        // The client waits for the proxy's answer (DependencyTimeoutException after the proxy's 100 ms session wait); a
        // client timeout of KMS's 250 ms would race it on a busy machine.
        var client = new XksClient(new HttpClient(), busy.Address, "/busy/kms/xks/v1", AccessKey, Secret, "us-east-1", TimeProvider.System,
            ProxyAnswerWait);
        await client.EncryptAsync("shared-key", metadata, [1], null, cdiv: false, default); // the key's handle and attributes are cached now

        _a.Slow(TimeSpan.FromMilliseconds(150));
        // Three requests 30 ms apart: whichever gets the session holds it for several slowed calls; the others wait
        // 100 ms for it in vain.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 3).Select(async i =>
        {
            await Task.Delay(i * 30);
            try { await client.EncryptAsync("shared-key", metadata, [(byte)i], null, cdiv: false, default); return "served"; }
            catch (XksProxyException e) { return e.ErrorName?.ToString() ?? e.Failure.ToString(); }
        }));
        Assert.Contains(nameof(Keyward.Protocol.Xks.XksErrorName.DependencyTimeoutException), outcomes);
        Assert.DoesNotContain(nameof(Keyward.Protocol.Xks.XksErrorName.InternalException), outcomes);
        _a.Fast();
        // Once the slowed work drains, the HSM serves again: it was busy, never taken out of service.
        await Eventually.WaitFor(async () =>
        {
            try { return (await client.EncryptAsync("shared-key", metadata, new byte[16], null, cdiv: false, default)).Ciphertext.Length == 16; }
            catch (XksProxyException e) when (e.ErrorName == Keyward.Protocol.Xks.XksErrorName.DependencyTimeoutException || e.Failure == XksProxyFailure.Timeout) { return false; }
        });
    }
}
