using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.Core.Service;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// An external key store used through two `keyward serve` processes on one PostgreSQL database, in front of the
/// proxy of <see cref="XksProxyTests"/>: a store connected through one node serves its keys on the other, new proxy
/// settings stored through one node are used by the other, and a disconnect through one node cuts the other off.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MultiNodeXksTests(XksProxyTests.Proxy proxy) : IClassFixture<XksProxyTests.Proxy>
{
    /// <summary>docs/multi-node.md: store connections follow a change within the sync interval (1 s), plus the key cache's bound.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1) + KeyCache.MaxAge + TimeSpan.FromSeconds(10);

    private static XksProxyAuthenticationCredentialType Credential(string key, string secret) => new() { AccessKeyId = key, RawSecretAccessKey = secret };

    [Fact]
    public async Task Connect_settings_and_disconnect_through_one_node_hold_on_the_other()
    {
        await using var cluster = await NodeCluster.StartAsync(args: ["--xks-allow-http", "true"]);
        using var a = cluster.Client(0);
        using var b = cluster.Client(1);
        var endpoint = proxy.Host.Address.GetLeftPart(UriPartial.Authority);
        var store = (await a.CreateCustomKeyStoreAsync(new CreateCustomKeyStoreRequest
        {
            CustomKeyStoreName = "shared-xks", CustomKeyStoreType = CustomKeyStoreType.EXTERNAL_KEY_STORE, XksProxyUriEndpoint = endpoint,
            XksProxyUriPath = "/tenant-a/kms/xks/v1", XksProxyConnectivity = XksProxyConnectivityType.PUBLIC_ENDPOINT,
            XksProxyAuthenticationCredential = Credential(XksProxyTests.AccessKey, XksProxyTests.Secret),
        })).CustomKeyStoreId;
        await a.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = store });
        var key = (await a.CreateKeyAsync(new CreateKeyRequest { Origin = OriginType.EXTERNAL_KEY_STORE, CustomKeyStoreId = store, XksKeyId = "ext-key-1" })).KeyMetadata.KeyId;

        // B opened its own proxy client (it never received ConnectCustomKeyStore) and uses the key made through A.
        MemoryStream? blob = null;
        await Eventually(async () =>
        {
            try { blob = (await b.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([1, 2, 3]) })).CiphertextBlob; return true; }
            catch (KMSInvalidStateException) { return false; }
        });
        byte[] Blob() => blob!.ToArray();
        Assert.Equal(new byte[] { 1, 2, 3 }, (await a.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(Blob()) })).Plaintext.ToArray());

        // New settings through A while connected (the proxy's root prefix, whose credential may use only "wrap-only"):
        // B follows them, so the proxy now refuses B's requests for ext-key-1; then back, and B serves again.
        await a.UpdateCustomKeyStoreAsync(new UpdateCustomKeyStoreRequest
        {
            CustomKeyStoreId = store, XksProxyUriPath = "/kms/xks/v1", XksProxyAuthenticationCredential = Credential(XksProxyTests.OtherKey, XksProxyTests.OtherSecret),
        });
        await Eventually(async () =>
        {
            try { await b.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(Blob()) }); return false; }
            catch (KMSInvalidStateException e) { return e.Message.Contains("did not find", StringComparison.Ordinal); }
        });
        await a.UpdateCustomKeyStoreAsync(new UpdateCustomKeyStoreRequest
        {
            CustomKeyStoreId = store, XksProxyUriPath = "/tenant-a/kms/xks/v1", XksProxyAuthenticationCredential = Credential(XksProxyTests.AccessKey, XksProxyTests.Secret),
        });
        await Eventually(async () =>
        {
            try { await b.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(Blob()) }); return true; }
            catch (KMSInvalidStateException) { return false; }
        });

        // Break glass on A: B refuses the key too, without being told.
        await a.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = store });
        await Eventually(async () =>
        {
            try { await b.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(Blob()) }); return false; }
            catch (KMSInvalidStateException) { return true; }
        });
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => a.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(Blob()) }));
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"condition not met within {Bound}");
            await Task.Delay(50);
        }
    }
}
