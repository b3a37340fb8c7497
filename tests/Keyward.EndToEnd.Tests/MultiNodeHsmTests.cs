using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.Core.Service;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Tests.Shared;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// An HSM key store used through two nodes on one PostgreSQL database: both nodes run with the same
/// `--config` naming a SoftHSM2 token, in their own processes. A store connected through one node
/// serves its keys on the other, and a disconnect through one node cuts the other off too.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MultiNodeHsmTests
{
    private const string Cluster = "cluster-keywardmultinode";

    /// <summary>docs/multi-node.md: store connections follow a change within the sync interval (1 s) plus the login.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1) + KeyCache.MaxAge;

    [Fact]
    public async Task A_store_connected_or_disconnected_through_one_node_is_so_on_the_other()
    {
        var token = SoftHsm.NewToken();
        var config = Path.Combine(SoftHsm.Directory, $"multinode-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, $$"""
            { "clusters": [ { "id": "{{Cluster}}", "module": "{{SoftHsm.Module}}", "hsms": [ { "token": "{{token}}" } ] } ] }
            """);
        await using var cluster = await NodeCluster.StartAsync(
            env: new Dictionary<string, string> { ["SOFTHSM2_CONF"] = SoftHsm.ConfigFile }, args: ["--config", config]);
        using var a = cluster.Client(0);
        using var b = cluster.Client(1);

        var store = (await a.CreateCustomKeyStoreAsync(new CreateCustomKeyStoreRequest
        {
            CustomKeyStoreName = "shared-hsm", CloudHsmClusterId = Cluster, TrustAnchorCertificate = SelfSignedPem(), KeyStorePassword = SoftHsm.Pin,
        })).CustomKeyStoreId;
        await a.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = store });
        await Eventually(async () => await State(b, store) == ConnectionStateType.CONNECTED, TimeSpan.FromSeconds(30));
        var key = (await a.CreateKeyAsync(new CreateKeyRequest { CustomKeyStoreId = store, Origin = OriginType.AWS_CLOUDHSM })).KeyMetadata.KeyId;

        // B connected by itself (it never received ConnectCustomKeyStore) and uses the key made through A.
        MemoryStream? blob = null;
        await Eventually(async () =>
        {
            try
            {
                blob = (await b.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([1, 2, 3]) })).CiphertextBlob;
                return true;
            }
            catch (KMSInvalidStateException) { return false; }
        }, Bound + TimeSpan.FromSeconds(30));
        Assert.Equal(new byte[] { 1, 2, 3 }, (await a.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob!.ToArray()) })).Plaintext.ToArray());

        // Break glass on A: B refuses the key within the bound, without being told.
        await a.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = store });
        await Eventually(async () =>
        {
            try { await b.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob!.ToArray()) }); return false; }
            catch (KMSInvalidStateException) { return true; }
        }, Bound + TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => a.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob!.ToArray()) }));

        // Connected again through B: A serves it again.
        await b.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = store });
        await Eventually(async () =>
        {
            try { await a.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob!.ToArray()) }); return true; }
            catch (KMSInvalidStateException) { return false; }
        }, Bound + TimeSpan.FromSeconds(30));
    }

    private static async Task<ConnectionStateType> State(AmazonKeyManagementServiceClient client, string store) =>
        Assert.Single((await client.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest { CustomKeyStoreId = store })).CustomKeyStores).ConnectionState;

    private static string SelfSignedPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=keyward multi-node", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return cert.ExportCertificatePem();
    }

    private static async Task Eventually(Func<Task<bool>> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"condition not met within {within}");
            await Task.Delay(50);
        }
    }
}
