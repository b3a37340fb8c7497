using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Pkcs11;
using Keyward.Pkcs11.Interop;
using Keyward.Tests.Shared;
using Keyward.XksProxy;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// External key stores end to end: Keyward (driven by the AWS SDK for .NET) → `keyward xks-proxy` → SoftHSM2. The
/// store's lifecycle with AWS's errors, keys backed by external keys, double encryption, and cutting access: by
/// disconnecting the store, by disabling the key in the HSM, by stopping the proxy (then recovery), and by a proxy
/// slower than the 250 ms timeout.
/// </summary>
public sealed class ExternalKeyStoreTests(XksProxyTests.Proxy proxy) : IClassFixture<XksProxyTests.Proxy>, IAsyncLifetime
{
    private const string AccessKey = XksProxyTests.AccessKey;
    private const string Secret = XksProxyTests.Secret;
    private const string OtherKey = XksProxyTests.OtherKey;
    private const string OtherSecret = XksProxyTests.OtherSecret;
    private const string Path = "/tenant-a/kms/xks/v1";
    // A proxy call times out after AttemptTimeout (AWS: 250 ms, XksClient.DefaultAttemptTimeout): long enough that no call
    // of these tests times out on a machine the rest of the suite keeps busy, short enough to test the timeout itself.
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);
    private readonly ServerFixture _server = new() { LifecycleJob = false, XksAllowPlainHttp = true, XksAttemptTimeout = AttemptTimeout };
    private AmazonKeyManagementServiceClient _kms = null!;

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        _kms = _server.Client();
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    private string Endpoint(Uri address) => address.GetLeftPart(UriPartial.Authority);

    private Task<CreateCustomKeyStoreResponse> Create(string name, string endpoint, string path = Path, string key = AccessKey, string secret = Secret,
        XksProxyConnectivityType? connectivity = null, AmazonKeyManagementServiceClient? kms = null) =>
        (kms ?? _kms).CreateCustomKeyStoreAsync(new CreateCustomKeyStoreRequest
        {
            CustomKeyStoreName = name,
            CustomKeyStoreType = CustomKeyStoreType.EXTERNAL_KEY_STORE,
            XksProxyUriEndpoint = endpoint,
            XksProxyUriPath = path,
            XksProxyConnectivity = connectivity ?? XksProxyConnectivityType.PUBLIC_ENDPOINT,
            XksProxyAuthenticationCredential = new XksProxyAuthenticationCredentialType { AccessKeyId = key, RawSecretAccessKey = secret },
        });

    private async Task<CustomKeyStoresListEntry> Describe(string storeId) =>
        Assert.Single((await _kms.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest { CustomKeyStoreId = storeId })).CustomKeyStores);

    private async Task<string> Connected(string name, string endpoint)
    {
        var storeId = (await Create(name, endpoint)).CustomKeyStoreId;
        await _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        Assert.Equal(ConnectionStateType.CONNECTED, (await Describe(storeId)).ConnectionState);
        return storeId;
    }

    private Task<CreateKeyResponse> CreateKey(string storeId, string xksKeyId) => _kms.CreateKeyAsync(new CreateKeyRequest
    {
        Origin = OriginType.EXTERNAL_KEY_STORE, CustomKeyStoreId = storeId, XksKeyId = xksKeyId,
    });

    private async Task<byte[]> Encrypt(string keyId, byte[] plaintext, Dictionary<string, string>? context = null) =>
        (await _kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream(plaintext), EncryptionContext = context })).CiphertextBlob.ToArray();

    private async Task<byte[]> Decrypt(byte[] blob, Dictionary<string, string>? context = null) =>
        (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob), EncryptionContext = context })).Plaintext.ToArray();

    private static async Task<T> Expect<T>(Func<Task> call) where T : AmazonKeyManagementServiceException => await Assert.ThrowsAnyAsync<T>(call);

    [Fact]
    public async Task The_lifecycle_of_an_external_key_store_with_aws_errors()
    {
        var endpoint = Endpoint(proxy.Host.Address);
        // Refusals before anything is stored: every one is checked against the proxy's GetHealthStatus or the model.
        await Expect<XksProxyIncorrectAuthenticationCredentialException>(() => Create("s", endpoint, secret: OtherSecret));
        await Expect<XksProxyInvalidConfigurationException>(() => Create("s", endpoint, path: "/no-such-tenant/kms/xks/v1"));
        await Expect<XksProxyUriUnreachableException>(() => Create("s", $"http://127.0.0.1:{ClosedPort()}"));
        await Expect<XksProxyVpcEndpointServiceNotFoundException>(() => Create("s", endpoint, connectivity: XksProxyConnectivityType.VPC_ENDPOINT_SERVICE));
        var badPath = await Expect<AmazonKeyManagementServiceException>(() => Create("s", endpoint, path: "/tenant-a/kms/xks/v9x"));
        Assert.Equal("ValidationException", badPath.ErrorCode);
        Assert.Contains("XksProxyUriPath", badPath.Message);
        var badSecret = await Expect<AmazonKeyManagementServiceException>(() => Create("s", endpoint, secret: "short-secret-value!"));
        Assert.Equal("ValidationException", badSecret.ErrorCode);
        Assert.DoesNotContain("short-secret-value", badSecret.Message);
        Assert.Empty((await _kms.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest())).CustomKeyStores);

        var storeId = (await Create("xks", endpoint)).CustomKeyStoreId;
        Assert.Matches("^cks-[0-9a-f]{17}$", storeId);
        await Expect<XksProxyUriInUseException>(() => Create("another", endpoint));
        await Expect<CustomKeyStoreNameInUseException>(() => Create("xks", endpoint, path: "/kms/xks/v1", key: OtherKey, secret: OtherSecret));
        var entry = await Describe(storeId);
        Assert.Equal((CustomKeyStoreType.EXTERNAL_KEY_STORE, ConnectionStateType.DISCONNECTED), (entry.CustomKeyStoreType, entry.ConnectionState));
        Assert.Equal((AccessKey, endpoint, Path), (entry.XksProxyConfiguration.AccessKeyId, entry.XksProxyConfiguration.UriEndpoint, entry.XksProxyConfiguration.UriPath));
        Assert.Equal(XksProxyConnectivityType.PUBLIC_ENDPOINT, entry.XksProxyConfiguration.Connectivity);
        Assert.Null(entry.CloudHsmClusterId);

        await Expect<CustomKeyStoreInvalidStateException>(() => CreateKey(storeId, "ext-key-1"));
        await _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        Assert.Equal(ConnectionStateType.CONNECTED, (await Describe(storeId)).ConnectionState);

        // Keys: the external key must exist, be AES-256 for ENCRYPT and DECRYPT, and serve one KMS key per store.
        await Expect<XksKeyNotFoundException>(() => CreateKey(storeId, "no-such-key"));
        await Expect<XksKeyInvalidConfigurationException>(() => CreateKey(storeId, "wrap-only"));
        var noId = await Expect<AmazonKeyManagementServiceException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { Origin = OriginType.EXTERNAL_KEY_STORE, CustomKeyStoreId = storeId }));
        Assert.Equal("ValidationException", noId.ErrorCode);
        var metadata = (await CreateKey(storeId, "ext-key-1")).KeyMetadata;
        Assert.Equal((OriginType.EXTERNAL_KEY_STORE, storeId, "ext-key-1"), (metadata.Origin, metadata.CustomKeyStoreId, metadata.XksKeyConfiguration.Id));
        Assert.Equal(KeyState.Enabled, metadata.KeyState);
        var described = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = metadata.KeyId })).KeyMetadata;
        Assert.Equal("ext-key-1", described.XksKeyConfiguration.Id);
        await Expect<XksKeyAlreadyInUseException>(() => CreateKey(storeId, "ext-key-1"));
        await Expect<UnsupportedOperationException>(() => _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = metadata.KeyId }));

        // Update: the credential while connected (checked first), the endpoint only when disconnected.
        await Expect<XksProxyIncorrectAuthenticationCredentialException>(() => _kms.UpdateCustomKeyStoreAsync(new UpdateCustomKeyStoreRequest
        {
            CustomKeyStoreId = storeId, XksProxyAuthenticationCredential = new XksProxyAuthenticationCredentialType { AccessKeyId = AccessKey, RawSecretAccessKey = OtherSecret },
        }));
        await _kms.UpdateCustomKeyStoreAsync(new UpdateCustomKeyStoreRequest
        {
            CustomKeyStoreId = storeId, NewCustomKeyStoreName = "xks-renamed",
            XksProxyAuthenticationCredential = new XksProxyAuthenticationCredentialType { AccessKeyId = AccessKey, RawSecretAccessKey = Secret },
        });
        Assert.Equal("xks-renamed", (await Describe(storeId)).CustomKeyStoreName);
        await Expect<CustomKeyStoreInvalidStateException>(() => _kms.UpdateCustomKeyStoreAsync(new UpdateCustomKeyStoreRequest
        {
            CustomKeyStoreId = storeId, XksProxyUriEndpoint = $"http://localhost:{proxy.Host.Address.Port}",
        }));
        var blob = await Encrypt(metadata.KeyId, [1, 2, 3]);

        // Delete needs DISCONNECTED and no keys.
        await Expect<CustomKeyStoreInvalidStateException>(() => _kms.DeleteCustomKeyStoreAsync(new DeleteCustomKeyStoreRequest { CustomKeyStoreId = storeId }));
        await _kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        await Expect<KMSInvalidStateException>(() => Decrypt(blob));
        await Expect<CustomKeyStoreHasCMKsException>(() => _kms.DeleteCustomKeyStoreAsync(new DeleteCustomKeyStoreRequest { CustomKeyStoreId = storeId }));
        var other = (await Create("empty", endpoint, path: "/kms/xks/v1", key: OtherKey, secret: OtherSecret)).CustomKeyStoreId;
        await _kms.DeleteCustomKeyStoreAsync(new DeleteCustomKeyStoreRequest { CustomKeyStoreId = other });
        await Expect<CustomKeyStoreNotFoundException>(() => Describe(other));

        // The audit log records the proxy's address, never its secret.
        await _server.Host.FlushAuditAsync();
        var (code, events, stderr) = await ExternalProcess.RunAsync("dotnet",
            [System.IO.Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "audit", "query", "--data-dir", _server.DataDir]);
        Assert.True(code == 0, stderr);
        Assert.Contains("\"xksProxyUriPath\":\"/tenant-a/kms/xks/v1\"", events);
        Assert.Contains("\"xksKeyId\":\"ext-key-1\"", events);
        Assert.DoesNotContain(Secret, events);
        Assert.DoesNotContain(OtherSecret, events);
    }

    [Fact]
    public async Task Double_encryption_through_the_proxy_and_disconnect_cuts_access_at_once()
    {
        var storeId = await Connected("double", Endpoint(proxy.Host.Address));
        var keyId = (await CreateKey(storeId, "xks-health")).KeyMetadata.KeyId;
        var context = new Dictionary<string, string> { ["tenant"] = "blue", ["purpose"] = "test" };
        var plaintext = RandomNumberGenerator.GetBytes(4096);
        var blob = await Encrypt(keyId, plaintext, context);
        // Header (49) + envelope (1 + 1 + 12 IV + 1 + 16 tag) + KMS-side payload (16 nonce + 12 IV + plaintext + 16 tag).
        Assert.Equal(49 + 31 + 44 + plaintext.Length, blob.Length);
        Assert.Equal(plaintext, await Decrypt(blob, context));
        await Expect<InvalidCiphertextException>(() => Decrypt(blob, new Dictionary<string, string> { ["tenant"] = "red", ["purpose"] = "test" }));
        var tampered = (byte[])blob.Clone();
        tampered[60] ^= 1; // inside the proxy's envelope: the external key's tag fails
        await Expect<InvalidCiphertextException>(() => Decrypt(tampered, context));

        // GenerateDataKey, and ReEncrypt to a default-store key and back.
        var dataKey = await _kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = keyId, KeySpec = DataKeySpec.AES_256 });
        Assert.Equal(dataKey.Plaintext.ToArray(), await Decrypt(dataKey.CiphertextBlob.ToArray()));
        var local = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var moved = await _kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = new MemoryStream(blob), SourceEncryptionContext = context, DestinationKeyId = local,
        });
        var back = await _kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = moved.CiphertextBlob, DestinationKeyId = keyId });
        Assert.Equal(plaintext, await Decrypt(back.CiphertextBlob.ToArray()));

        // Disconnect: the next request is refused, before any call to the proxy; connecting again restores access.
        await _kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        var refused = await Expect<KMSInvalidStateException>(() => Decrypt(blob, context));
        Assert.Contains(storeId, refused.Message);
        await Expect<KMSInvalidStateException>(() => Encrypt(keyId, plaintext));
        Assert.Equal((KeyState.Unavailable, false), await State(keyId));
        await _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        Assert.Equal((KeyState.Enabled, true), await State(keyId));
        Assert.Equal(plaintext, await Decrypt(blob, context));

        // A disabled key is Unavailable too while its store is disconnected, and Disabled again once it is connected.
        await _kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });
        await _kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        Assert.Equal((KeyState.Unavailable, false), await State(keyId));
        await _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        Assert.Equal((KeyState.Disabled, false), await State(keyId));
    }

    private async Task<(KeyState State, bool? Enabled)> State(string keyId)
    {
        var metadata = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata;
        return (metadata.KeyState, metadata.Enabled);
    }

    /// <summary>The owner disables the external key in the HSM: KMS requests fail within the proxy's one-second attribute cache, and work again once it is re-enabled.</summary>
    [Fact]
    public async Task A_key_disabled_in_the_hsm_cuts_access_until_it_is_enabled_again()
    {
        using var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), proxy.Token, Encoding.UTF8.GetBytes(SoftHsm.Pin), 2, TimeSpan.FromSeconds(5));
        hsm.Open();
        // A public key object (see XksProxyTests: SoftHSM does not let other sessions read dates set later on private objects).
        hsm.Run(s => s.GenerateKey(CKM.AES_KEY_GEN, new Template().ULong(CKA.CLASS, CKO.SECRET_KEY).ULong(CKA.KEY_TYPE, CKK.AES).ULong(CKA.VALUE_LEN, 32)
            .Bool(CKA.TOKEN, true).Bool(CKA.PRIVATE, false).Bool(CKA.SENSITIVE, true).Bool(CKA.EXTRACTABLE, false)
            .Bool(CKA.ENCRYPT, true).Bool(CKA.DECRYPT, true).Text(CKA.LABEL, "ext-key-kms-disable")));
        void SetEndDate(string date) => hsm.Run(s => { s.SetBytes(HsmCluster.FindSecretKey(s, "ext-key-kms-disable")!.Value, CKA.END_DATE, Encoding.ASCII.GetBytes(date)); return 0; });

        var storeId = await Connected("disable", Endpoint(proxy.Host.Address));
        var keyId = (await CreateKey(storeId, "ext-key-kms-disable")).KeyMetadata.KeyId;
        var blob = await Encrypt(keyId, [9, 8, 7]);

        SetEndDate("20200101");
        await Task.Delay(ExternalKeyStore.AttributeMaxAge + TimeSpan.FromMilliseconds(100));
        var refused = await Expect<KMSInvalidStateException>(() => Decrypt(blob));
        Assert.Contains("ext-key-kms-disable", refused.Message);
        await Expect<KMSInvalidStateException>(() => Encrypt(keyId, [1]));
        // KMS itself still reports the key Enabled: the external key's state is the owner's, read at each use.
        Assert.Equal(KeyState.Enabled, (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata.KeyState);

        SetEndDate(DateTime.UtcNow.AddYears(1).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
        await Task.Delay(ExternalKeyStore.AttributeMaxAge + TimeSpan.FromMilliseconds(100));
        Assert.Equal([9, 8, 7], await Decrypt(blob));
    }

    /// <summary>A stopped proxy fails requests with KMSInvalidStateException (the store stays CONNECTED); a restarted one serves them again.</summary>
    [Fact]
    public async Task A_stopped_proxy_fails_requests_and_a_restarted_one_serves_them_again()
    {
        var port = ClosedPort();
        var options = XksProxyOptions.Load(proxy.ConfigPath);
        options.Listen = $"http://127.0.0.1:{port}";
        var own = await XksProxyHost.StartAsync(options, proxy.ConfigPath, quiet: true);
        var storeId = await Connected("restart", $"http://127.0.0.1:{port}");
        var keyId = (await CreateKey(storeId, "ext-key-1")).KeyMetadata.KeyId;
        var blob = await Encrypt(keyId, [4, 2]);

        await own.DisposeAsync();
        var down = await Expect<KMSInvalidStateException>(() => Decrypt(blob));
        Assert.Contains("cannot be reached", down.Message);
        Assert.Equal(ConnectionStateType.CONNECTED, (await Describe(storeId)).ConnectionState);

        options = XksProxyOptions.Load(proxy.ConfigPath);
        options.Listen = $"http://127.0.0.1:{port}";
        await using var again = await XksProxyHost.StartAsync(options, proxy.ConfigPath, quiet: true);
        Assert.Equal([4, 2], await Decrypt(blob));
    }

    /// <summary>
    /// Answers slower than the timeout fail (after one retry) as KMSInvalidStateException; answers within it are
    /// served. The timeout is AWS's 250 ms unless the server is told otherwise; here it is a second, so that "within
    /// it" holds on a busy machine.
    /// </summary>
    [Fact]
    public async Task Answers_past_the_timeout_fail_and_faster_ones_are_served()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250), Keyward.Xks.XksClient.DefaultAttemptTimeout);
        await using var relay = new DelayingRelay(proxy.Host.Address, TimeSpan.Zero, slowConnections: 0);
        var storeId = await Connected("slow", Endpoint(relay.Address));
        var keyId = (await CreateKey(storeId, "ext-key-1")).KeyMetadata.KeyId;
        var blob = await Encrypt(keyId, [5]);

        relay.EveryAnswerDelay = AttemptTimeout * 1.5;
        var started = DateTime.UtcNow;
        var slow = await Expect<KMSInvalidStateException>(() => Decrypt(blob));
        Assert.Contains("timeout", slow.Message);
        // Two attempts take about twice the timeout, one about once. The bound sits between them: .NET's timers run on a
        // coarse clock (4 ms ticks here) and may fire a little before the timeout, so exactly 2x failed under load.
        Assert.True(DateTime.UtcNow - started >= AttemptTimeout * 1.5, "two attempts, each cut off at the timeout");

        relay.EveryAnswerDelay = TimeSpan.FromMilliseconds(100);
        Assert.Equal([5], await Decrypt(blob));
        relay.EveryAnswerDelay = TimeSpan.Zero;
        Assert.Equal([5], await Decrypt(await Encrypt(keyId, [5])));
    }

    /// <summary>A connect against a proxy that is down ends FAILED with AWS's connection error code; it must be disconnected before trying again.</summary>
    [Fact]
    public async Task Connecting_to_an_unreachable_proxy_fails_with_a_connection_error_code()
    {
        var port = ClosedPort();
        var options = XksProxyOptions.Load(proxy.ConfigPath);
        options.Listen = $"http://127.0.0.1:{port}";
        var storeId = "";
        await using (var own = await XksProxyHost.StartAsync(options, proxy.ConfigPath, quiet: true))
            storeId = (await Create("failing", $"http://127.0.0.1:{port}")).CustomKeyStoreId;
        await _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        var entry = await Describe(storeId);
        Assert.Equal(ConnectionStateType.FAILED, entry.ConnectionState);
        Assert.Equal(ConnectionErrorCodeType.XKS_PROXY_NOT_REACHABLE, entry.ConnectionErrorCode);
        await Expect<CustomKeyStoreInvalidStateException>(() => _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId }));
        await _kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        Assert.Equal(ConnectionStateType.DISCONNECTED, (await Describe(storeId)).ConnectionState);
    }

    /// <summary>The custom key store quota (here 2 per account): one more store is refused, before its proxy is called; a deletion frees a place.</summary>
    [Fact]
    public async Task Custom_key_stores_beyond_the_quota_are_refused()
    {
        await using var server = new ServerFixture { LifecycleJob = false, XksAllowPlainHttp = true, CustomKeyStoresPerAccount = 2 };
        await server.InitializeAsync();
        using var kms = server.Client();
        var endpoint = Endpoint(proxy.Host.Address);
        var first = (await Create("first", endpoint, kms: kms)).CustomKeyStoreId;
        await Create("second", endpoint, path: "/kms/xks/v1", key: OtherKey, secret: OtherSecret, kms: kms);
        var refused = await Expect<LimitExceededException>(() => Create("third", endpoint, path: "/tenant-b/kms/xks/v1", kms: kms));
        Assert.Contains("(2)", refused.Message);
        // Refused before the proxy was asked: an unreachable endpoint gets the same answer.
        await Expect<LimitExceededException>(() => Create("third", "http://127.0.0.1:9", kms: kms));
        await kms.DeleteCustomKeyStoreAsync(new DeleteCustomKeyStoreRequest { CustomKeyStoreId = first });
        await Create("third", endpoint, kms: kms);
    }

    /// <summary>
    /// requestMetadata reaches the proxy as AWS fills it: the proxy's secondary authorization (tenant /ruled allows only
    /// principals role/billing-* and denies everything else) lets the billing role's requests through and refuses the
    /// account root's, for CreateKey (GetKeyMetadata) and for Encrypt alike.
    /// </summary>
    [Fact]
    public async Task The_proxy_sees_the_caller_and_operation_and_applies_its_rules()
    {
        var dir = Directory.CreateTempSubdirectory("keyward-xks-ids").FullName;
        var identities = System.IO.Path.Combine(dir, "identities.json");
        await File.WriteAllTextAsync(identities, $$"""
            { "accounts": [ { "id": "{{ServerFixture.Account}}", "roles": [
                { "name": "billing-app", "accessKeys": [ { "accessKeyId": "AKIABILLINGROLE00001", "secretAccessKey": "billing-secret-0123456789abc" } ],
                  "policies": [ { "Statement": [ { "Effect": "Allow", "Action": "kms:*", "Resource": "*" } ] } ] } ] } ] }
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(identities, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var server = new ServerFixture { LifecycleJob = false, XksAllowPlainHttp = true, IdentitiesFile = identities };
        await server.InitializeAsync();
        var root = server.Client();
        var billing = server.Client("AKIABILLINGROLE00001", "billing-secret-0123456789abc");
        var storeId = (await root.CreateCustomKeyStoreAsync(new CreateCustomKeyStoreRequest
        {
            CustomKeyStoreName = "ruled", CustomKeyStoreType = CustomKeyStoreType.EXTERNAL_KEY_STORE, XksProxyUriEndpoint = Endpoint(proxy.Host.Address),
            XksProxyUriPath = "/ruled/kms/xks/v1", XksProxyConnectivity = XksProxyConnectivityType.PUBLIC_ENDPOINT,
            XksProxyAuthenticationCredential = new XksProxyAuthenticationCredentialType { AccessKeyId = XksProxyTests.RuledKey, RawSecretAccessKey = XksProxyTests.RuledSecret },
        })).CustomKeyStoreId;
        await root.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });

        var request = new CreateKeyRequest { Origin = OriginType.EXTERNAL_KEY_STORE, CustomKeyStoreId = storeId, XksKeyId = "ext-key-1" };
        var denied = await Expect<CustomKeyStoreInvalidStateException>(() => root.CreateKeyAsync(request));
        Assert.Contains("AccessDeniedException", denied.Message);
        var keyId = (await billing.CreateKeyAsync(request)).KeyMetadata.KeyId;
        var blob = (await billing.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream([7]) })).CiphertextBlob;
        Assert.Equal([7], (await billing.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext.ToArray());
        var refused = await Expect<KMSInvalidStateException>(() => root.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream([7]) }));
        Assert.Contains("denied", refused.Message);
        Directory.Delete(dir, recursive: true);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
