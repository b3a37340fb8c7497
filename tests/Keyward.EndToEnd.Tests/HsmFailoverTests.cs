using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Pkcs11;
using Keyward.Tests.Shared;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// A custom key store over a two-HSM cluster under load through the AWS SDK for .NET: one HSM
/// fails mid-load and no request fails; both fail and requests get KMSInvalidStateException;
/// the HSMs return and the store recovers by itself.
/// </summary>
public sealed class HsmFailoverTests : IAsyncLifetime
{
    private const string Cluster = "cluster-keywardfailover";
    private readonly FaultyHsm _a = new();
    private readonly FaultyHsm _b = new();
    private readonly ServerFixture _server;
    private AmazonKeyManagementServiceClient _kms = null!;

    public HsmFailoverTests()
    {
        _server = new ServerFixture
        {
            Hsm = new HsmConfiguration
            {
                Clusters =
                [
                    new HsmClusterOptions
                    {
                        Id = Cluster,
                        Hsms =
                        [
                            new HsmOptions { Token = _a.Token, Module = _a.Module, Environment = _a.Environment },
                            new HsmOptions { Token = _b.Token, Module = _b.Module, Environment = _b.Environment },
                        ],
                        HealthCheckMilliseconds = 100,
                    },
                ],
            },
        };
    }

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        _kms = _server.Client();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _a.Dispose();
        _b.Dispose();
    }

    [Fact]
    public async Task An_hsm_failing_mid_load_fails_no_request_and_the_store_heals_by_itself()
    {
        var storeId = (await _kms.CreateCustomKeyStoreAsync(new CreateCustomKeyStoreRequest
        {
            CustomKeyStoreName = "pair", CloudHsmClusterId = Cluster, KeyStorePassword = SoftHsm.Pin,
            TrustAnchorCertificate = "-----BEGIN CERTIFICATE-----\nnot checked: the cluster names no trust anchor\n-----END CERTIFICATE-----",
        })).CustomKeyStoreId;
        await _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        await Eventually.WaitFor(async () => (await _kms.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest { CustomKeyStoreId = storeId }))
            .CustomKeyStores[0].ConnectionState == ConnectionStateType.CONNECTED);
        var keyId = (await _kms.CreateKeyAsync(new CreateKeyRequest { CustomKeyStoreId = storeId, Origin = OriginType.AWS_CLOUDHSM })).KeyMetadata.KeyId;

        var load = RoundTripLoad.Start(_server, keyId);
        await load.WaitForMoreAsync(100);
        _a.Kill();
        await load.WaitForMoreAsync(200);
        var encryptedByA = _a.Encryptions;
        _a.Start();
        // The health check (every 100 ms) brings A back; B goes down only once A serves requests again.
        await Eventually.WaitFor(() => Task.FromResult(_a.Encryptions >= encryptedByA + 50));
        _b.Kill();
        await load.WaitForMoreAsync(200);
        var failures = await load.StopAsync();
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Both down: requests are refused with AWS's error for a key store that cannot be reached.
        _a.Kill();
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream([1]) }));
        _a.Start();
        _b.Start();
        await Eventually.WaitFor(async () =>
        {
            try { await _kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream([1]) }); return true; }
            catch (KMSInvalidStateException) { return false; }
        });
        Assert.Equal(ConnectionStateType.CONNECTED, (await _kms.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest { CustomKeyStoreId = storeId })).CustomKeyStores[0].ConnectionState);
    }
}
