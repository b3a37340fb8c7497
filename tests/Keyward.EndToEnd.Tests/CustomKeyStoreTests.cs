using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Pkcs11;
using Keyward.Tests.Shared;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// HSM key stores (custom key stores of type AWS_CLOUDHSM) through the AWS SDK for .NET, against
/// SoftHSM2 tokens. Own server: the configuration names the clusters.
/// </summary>
public sealed class CustomKeyStoreTests : IAsyncLifetime
{
    private const string ClusterOne = "cluster-keywardtestone";
    private const string ClusterRelated = "cluster-keywardrelated";
    private const string ClusterOther = "cluster-keywardotherone";
    private readonly string _token = SoftHsm.NewToken();
    private readonly string _anchor;
    private readonly string _otherAnchor;
    private readonly ServerFixture _server;
    private AmazonKeyManagementServiceClient _kms = null!;

    public CustomKeyStoreTests()
    {
        _anchor = SelfSignedPem("keyward test cluster");
        _otherAnchor = SelfSignedPem("someone else");
        var anchorFile = Path.Combine(SoftHsm.Directory, $"anchor-{Guid.NewGuid():N}.pem");
        File.WriteAllText(anchorFile, _anchor);
        var otherToken = SoftHsm.NewToken();
        _server = new ServerFixture
        {
            LifecycleJob = false,
            Hsm = new HsmConfiguration
            {
                Clusters =
                [
                    new HsmClusterOptions { Id = ClusterOne, Module = SoftHsm.Module, Hsms = [new HsmOptions { Token = _token }], TrustAnchorCertificateFile = anchorFile },
                    new HsmClusterOptions { Id = ClusterRelated, Module = SoftHsm.Module, Hsms = [new HsmOptions { Token = _token }], BackupHistory = ClusterOne },
                    new HsmClusterOptions { Id = ClusterOther, Module = SoftHsm.Module, Hsms = [new HsmOptions { Token = otherToken }] },
                ],
            },
        };
    }

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        _kms = _server.Client();
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task The_whole_lifecycle_of_an_hsm_key_store_and_its_keys()
    {
        // Creation, with AWS's refusals.
        await Expect<CloudHsmClusterNotFoundException>(() => Create("nope", "cluster-doesnotexist", _anchor));
        await Expect<IncorrectTrustAnchorException>(() => Create("store", ClusterOne, _otherAnchor));
        var storeId = (await Create("store", ClusterOne, _anchor)).CustomKeyStoreId;
        Assert.Matches("^cks-[0-9a-f]{17}$", storeId);
        await Expect<CustomKeyStoreNameInUseException>(() => Create("store", ClusterOther, _anchor));
        await Expect<CloudHsmClusterInUseException>(() => Create("related", ClusterRelated, _anchor));

        var entry = await Describe(storeId);
        Assert.Equal("store", entry.CustomKeyStoreName);
        Assert.Equal(ConnectionStateType.DISCONNECTED, entry.ConnectionState);
        Assert.Equal(CustomKeyStoreType.AWS_CLOUDHSM, entry.CustomKeyStoreType);
        Assert.Equal(ClusterOne, entry.CloudHsmClusterId);
        Assert.Equal(_anchor, entry.TrustAnchorCertificate);
        Assert.Null(entry.ConnectionErrorCode);
        var byName = await _kms.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest { CustomKeyStoreName = "store" });
        Assert.Equal(storeId, Assert.Single(byName.CustomKeyStores).CustomKeyStoreId);
        await Expect<CustomKeyStoreNotFoundException>(() => _kms.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest { CustomKeyStoreId = "cks-00000000000000000" }));

        await Expect<CustomKeyStoreInvalidStateException>(() => CreateHsmKey(storeId));
        await ConnectAndWait(storeId, ConnectionStateType.CONNECTED);

        // A key whose material is generated in the HSM.
        var metadata = (await CreateHsmKey(storeId)).KeyMetadata;
        Assert.Equal(OriginType.AWS_CLOUDHSM, metadata.Origin);
        Assert.Equal(storeId, metadata.CustomKeyStoreId);
        Assert.Equal(ClusterOne, metadata.CloudHsmClusterId);
        var keyId = metadata.KeyId;
        var described = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata;
        Assert.Equal(ClusterOne, described.CloudHsmClusterId);

        var context = new Dictionary<string, string> { ["tenant"] = "a" };
        var encrypted = await _kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = Bytes("in the hsm"), EncryptionContext = context });
        Assert.Equal("in the hsm", Text((await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = Copy(encrypted.CiphertextBlob), EncryptionContext = context })).Plaintext));
        await Expect<InvalidCiphertextException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = Copy(encrypted.CiphertextBlob) }));
        var tampered = encrypted.CiphertextBlob.ToArray();
        tampered[^3] ^= 1;
        await Expect<InvalidCiphertextException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(tampered), EncryptionContext = context }));

        // ReEncrypt between the HSM store and the default store, both ways.
        var softwareKey = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var moved = await _kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = Copy(encrypted.CiphertextBlob), SourceEncryptionContext = context, DestinationKeyId = softwareKey });
        var back = await _kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = Copy(moved.CiphertextBlob), DestinationKeyId = keyId });
        Assert.Equal("in the hsm", Text((await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = Copy(back.CiphertextBlob) })).Plaintext));

        var dataKey = await _kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = keyId, KeySpec = DataKeySpec.AES_256 });
        Assert.Equal(dataKey.Plaintext.ToArray(), (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = Copy(dataKey.CiphertextBlob) })).Plaintext.ToArray());
        var noPlaintext = await _kms.GenerateDataKeyWithoutPlaintextAsync(new GenerateDataKeyWithoutPlaintextRequest { KeyId = keyId, NumberOfBytes = 64 });
        Assert.Equal(64, (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = Copy(noPlaintext.CiphertextBlob) })).Plaintext.Length);
        var random = await _kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 48, CustomKeyStoreId = storeId });
        Assert.Equal(48, random.Plaintext.Length);

        // What AWS does not support in such a store.
        await Expect<UnsupportedOperationException>(() => _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = keyId }));
        await Expect<UnsupportedOperationException>(() => _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = keyId }));
        await Expect<UnsupportedOperationException>(() => _kms.GetParametersForImportAsync(new GetParametersForImportRequest
            { KeyId = keyId, WrappingAlgorithm = AlgorithmSpec.RSAES_OAEP_SHA_256, WrappingKeySpec = WrappingKeySpec.RSA_2048 }));
        await Expect<UnsupportedOperationException>(() => _kms.CreateKeyAsync(new CreateKeyRequest
            { CustomKeyStoreId = storeId, Origin = OriginType.AWS_CLOUDHSM, KeySpec = KeySpec.RSA_2048, KeyUsage = KeyUsageType.SIGN_VERIFY }));
        await Expect<UnsupportedOperationException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { CustomKeyStoreId = storeId }));
        await Expect<CustomKeyStoreInvalidStateException>(() => _kms.UpdateCustomKeyStoreAsync(new UpdateCustomKeyStoreRequest { CustomKeyStoreId = storeId, NewCustomKeyStoreName = "x" }));
        await Expect<CustomKeyStoreInvalidStateException>(() => _kms.DeleteCustomKeyStoreAsync(new DeleteCustomKeyStoreRequest { CustomKeyStoreId = storeId }));

        // The material really lives in the HSM, sensitive and not extractable (read back by OpenSC's pkcs11-tool).
        var objects = ListObjects(_token);
        var label = $"keyward:{keyId}:{metadata.CurrentKeyMaterialId}";
        var block = objects.Split("Secret Key Object").Single(b => b.Contains(label, StringComparison.Ordinal));
        var access = block.Split('\n').Single(l => l.TrimStart().StartsWith("Access:", StringComparison.Ordinal));
        Assert.Contains("sensitive", access, StringComparison.Ordinal);
        Assert.DoesNotMatch("(?<!never )extractable", access);

        // Disconnected: every key of the store stops working at once; metadata stays readable.
        await _kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        Assert.Equal(ConnectionStateType.DISCONNECTED, (await Describe(storeId)).ConnectionState);
        await Expect<KMSInvalidStateException>(() => _kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = Bytes("x") }));
        await Expect<KMSInvalidStateException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = Copy(encrypted.CiphertextBlob), EncryptionContext = context }));
        await Expect<CustomKeyStoreInvalidStateException>(() => _kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 8, CustomKeyStoreId = storeId }));
        await Expect<CustomKeyStoreInvalidStateException>(() => _kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = storeId }));
        var unavailable = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata;
        Assert.Equal((KeyState.Unavailable, false), (unavailable.KeyState, unavailable.Enabled));

        // A wrong password: the connection FAILS with INVALID_CREDENTIALS, and must be disconnected before a retry.
        await _kms.UpdateCustomKeyStoreAsync(new UpdateCustomKeyStoreRequest { CustomKeyStoreId = storeId, KeyStorePassword = "not-the-password" });
        await ConnectAndWait(storeId, ConnectionStateType.FAILED);
        Assert.Equal(ConnectionErrorCodeType.INVALID_CREDENTIALS, (await Describe(storeId)).ConnectionErrorCode);
        await Expect<CustomKeyStoreInvalidStateException>(() => _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId }));
        await _kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        await Expect<CloudHsmClusterNotRelatedException>(() => _kms.UpdateCustomKeyStoreAsync(new UpdateCustomKeyStoreRequest { CustomKeyStoreId = storeId, CloudHsmClusterId = ClusterOther }));
        await _kms.UpdateCustomKeyStoreAsync(new UpdateCustomKeyStoreRequest
            { CustomKeyStoreId = storeId, KeyStorePassword = SoftHsm.Pin, NewCustomKeyStoreName = "renamed", CloudHsmClusterId = ClusterRelated });
        var updated = await Describe(storeId);
        Assert.Equal(("renamed", ClusterRelated), (updated.CustomKeyStoreName, updated.CloudHsmClusterId));

        // Connected again (to the related cluster: same HSM, same keys), the old ciphertext decrypts.
        await ConnectAndWait(storeId, ConnectionStateType.CONNECTED);
        Assert.Equal("in the hsm", Text((await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = Copy(encrypted.CiphertextBlob), EncryptionContext = context })).Plaintext));
        var enabled = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata;
        Assert.Equal((KeyState.Enabled, true), (enabled.KeyState, enabled.Enabled));

        // A store with keys cannot be deleted; once its keys are deleted (and their HSM objects with them), it can.
        await _kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        await Expect<CustomKeyStoreHasCMKsException>(() => _kms.DeleteCustomKeyStoreAsync(new DeleteCustomKeyStoreRequest { CustomKeyStoreId = storeId }));
        await ConnectAndWait(storeId, ConnectionStateType.CONNECTED);
        await _kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyId, PendingWindowInDays = 7 });
        // A key pending deletion stays PendingDeletion while its store is disconnected (not Unavailable).
        await _kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        Assert.Equal(KeyState.PendingDeletion, (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata.KeyState);
        await ConnectAndWait(storeId, ConnectionStateType.CONNECTED);
        _server.Clock.Advance(TimeSpan.FromDays(8));
        await _server.Host.RunLifecycleJobAsync();
        await Expect<NotFoundException>(() => _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId }));
        Assert.DoesNotContain(label, ListObjects(_token), StringComparison.Ordinal);
        await _kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        await _kms.DeleteCustomKeyStoreAsync(new DeleteCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        await Expect<CustomKeyStoreNotFoundException>(() => Describe(storeId));
    }

    [Fact]
    public async Task Validation_and_unknown_stores_get_aws_errors_without_echoing_the_password()
    {
        var tooShort = await Expect<AmazonKeyManagementServiceException>(() => _kms.CreateCustomKeyStoreAsync(new CreateCustomKeyStoreRequest
            { CustomKeyStoreName = "v", CloudHsmClusterId = ClusterOther, TrustAnchorCertificate = _anchor, KeyStorePassword = Unchecked("secret") }));
        Assert.Equal("ValidationException", tooShort.ErrorCode);
        Assert.DoesNotContain("secret", tooShort.Message, StringComparison.Ordinal);
        await Expect<CustomKeyStoreNotFoundException>(() => _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = "cks-1234567890abcdef0" }));
        await Expect<CustomKeyStoreNotFoundException>(() => _kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 8, CustomKeyStoreId = "cks-1234567890abcdef0" }));
        await Expect<CustomKeyStoreNotFoundException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { CustomKeyStoreId = "cks-1234567890abcdef0", Origin = OriginType.AWS_CLOUDHSM }));
    }

    private Task<CreateCustomKeyStoreResponse> Create(string name, string cluster, string anchor) =>
        _kms.CreateCustomKeyStoreAsync(new CreateCustomKeyStoreRequest
            { CustomKeyStoreName = name, CloudHsmClusterId = cluster, TrustAnchorCertificate = anchor, KeyStorePassword = SoftHsm.Pin });

    private Task<CreateKeyResponse> CreateHsmKey(string storeId) =>
        _kms.CreateKeyAsync(new CreateKeyRequest { CustomKeyStoreId = storeId, Origin = OriginType.AWS_CLOUDHSM, Description = "in an HSM" });

    private async Task<CustomKeyStoresListEntry> Describe(string storeId) =>
        Assert.Single((await _kms.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest { CustomKeyStoreId = storeId })).CustomKeyStores);

    private async Task ConnectAndWait(string storeId, ConnectionStateType expected)
    {
        await _kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = storeId });
        for (var i = 0; i < 200 && (await Describe(storeId)).ConnectionState == ConnectionStateType.CONNECTING; i++) await Task.Delay(50);
        Assert.Equal(expected, (await Describe(storeId)).ConnectionState);
    }

    /// <summary>pkcs11-tool, in its own process, lists the secret key objects of a token with their attributes.</summary>
    internal static string ListObjects(string token)
    {
        var start = new ProcessStartInfo("pkcs11-tool") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--module", SoftHsm.Module, "--slot", SoftHsm.Slot(token), "--login", "--pin", SoftHsm.Pin, "--list-objects", "--type", "secrkey" })
            start.ArgumentList.Add(a);
        start.Environment["SOFTHSM2_CONF"] = SoftHsm.ConfigFile;
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        var errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"pkcs11-tool failed: {errors}");
        return output;
    }

    internal static async Task<T> Expect<T>(Func<Task> call) where T : Exception => await Assert.ThrowsAnyAsync<T>(call);

    internal static string SelfSignedPem(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return cert.ExportCertificatePem();
    }

    /// <summary>Passes a value the SDK's analyzer would refuse as a literal; the server must refuse it.</summary>
    private static string Unchecked(string value) => value;

    private static MemoryStream Bytes(string s) => new(Encoding.UTF8.GetBytes(s));
    private static MemoryStream Copy(MemoryStream s) => new(s.ToArray());
    private static string Text(MemoryStream s) => Encoding.UTF8.GetString(s.ToArray());
}
