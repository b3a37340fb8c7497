using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// One server serving three Regions, driven by AWS SDK for .NET clients configured for each: Regions keep their keys,
/// aliases and stores apart, and Multi-Region keys work across them as AWS's do. Own server: the tests move the
/// lifecycle clock.
/// </summary>
public sealed class MultiRegionTests : IAsyncLifetime
{
    private const string East = ServerFixture.Region; // us-east-1, the home Region
    private const string West = "eu-west-1";
    private const string South = "ap-southeast-2";

    private readonly ServerFixture _server = new() { Regions = [West, South], LifecycleJob = false };
    private AmazonKeyManagementServiceClient _east = null!, _west = null!, _south = null!;

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        _east = _server.Client();
        _west = _server.Client(region: West);
        _south = _server.Client(region: South);
    }

    public async Task DisposeAsync()
    {
        _east.Dispose();
        _west.Dispose();
        _south.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Each_region_sees_only_its_own_keys_aliases_and_stores()
    {
        var east = (await _east.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var west = (await _west.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        Assert.StartsWith($"arn:aws:kms:{East}:", east.Arn);
        Assert.StartsWith($"arn:aws:kms:{West}:", west.Arn);
        Assert.False(west.MultiRegion);

        await Assert.ThrowsAsync<NotFoundException>(() => _west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = east.KeyId }));
        await Assert.ThrowsAsync<NotFoundException>(() => _west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = east.Arn }));
        var westKeys = await AllKeysAsync(_west);
        Assert.Contains(west.KeyId, westKeys);
        Assert.DoesNotContain(east.KeyId, westKeys);
        Assert.DoesNotContain(west.KeyId, await AllKeysAsync(_east));

        // One alias name in two Regions, each naming its own Region's key.
        await _east.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/app", TargetKeyId = east.KeyId });
        await _west.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/app", TargetKeyId = west.KeyId });
        Assert.Equal(east.KeyId, (await _east.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/app" })).KeyMetadata.KeyId);
        Assert.Equal(west.KeyId, (await _west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/app" })).KeyMetadata.KeyId);
        var westAlias = Assert.Single((await _west.ListAliasesAsync(new ListAliasesRequest())).Aliases, a => a.AliasName == "alias/app");
        Assert.Equal($"arn:aws:kms:{West}:{ServerFixture.Account}:alias/app", westAlias.AliasArn);
        await Assert.ThrowsAsync<NotFoundException>(() => _south.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/app" }));
        // A key of one Region cannot be an alias target in another.
        await Assert.ThrowsAsync<NotFoundException>(() =>
            _south.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/app", TargetKeyId = east.KeyId }));

        // A single-Region key's ciphertext does not open in another Region.
        var blob = (await _east.EncryptAsync(new EncryptRequest { KeyId = east.KeyId, Plaintext = new MemoryStream([1, 2, 3]) })).CiphertextBlob;
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => _west.DecryptAsync(new DecryptRequest { CiphertextBlob = blob }));

        // A grant is listed where its key is.
        var grant = await _west.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = west.KeyId, GranteePrincipal = $"arn:aws:iam::{ServerFixture.Account}:role/r", Operations = ["Decrypt"],
            RetiringPrincipal = $"arn:aws:iam::{ServerFixture.Account}:role/retirer",
        });
        var retirable = new ListRetirableGrantsRequest { RetiringPrincipal = $"arn:aws:iam::{ServerFixture.Account}:role/retirer" };
        Assert.Equal(west.Arn, Assert.Single((await _west.ListRetirableGrantsAsync(retirable)).Grants).KeyId);
        Assert.Empty((await _east.ListRetirableGrantsAsync(retirable)).Grants ?? []);
        Assert.NotNull(grant.GrantId);
    }

    [Fact]
    public async Task A_region_this_deployment_does_not_serve_is_refused_like_a_wrong_signature_scope()
    {
        using var mars = _server.Client(region: "us-west-2");
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => mars.ListKeysAsync(new ListKeysRequest()));
        Assert.Equal("InvalidSignatureException", e.ErrorCode);
        Assert.Contains("valid region", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replica_shares_the_key_id_and_material_and_keeps_its_own_policy_description_tags_and_state()
    {
        var primary = (await _east.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true, Description = "primary" })).KeyMetadata;
        Assert.Matches("^mrk-[0-9a-f]{32}$", primary.KeyId);
        Assert.True(primary.MultiRegion);
        Assert.Equal(MultiRegionKeyType.PRIMARY, primary.MultiRegionConfiguration.MultiRegionKeyType);
        Assert.Equal(East, primary.MultiRegionConfiguration.PrimaryKey.Region);
        Assert.Empty(primary.MultiRegionConfiguration.ReplicaKeys ?? []);

        var policy = KeyPolicyFor(ServerFixture.Account);
        var replicated = await _east.ReplicateKeyAsync(new ReplicateKeyRequest
        {
            KeyId = primary.KeyId, ReplicaRegion = West, Description = "replica", Policy = policy,
            Tags = [new Tag { TagKey = "team", TagValue = "blue" }],
        });
        var replica = replicated.ReplicaKeyMetadata;
        Assert.Equal(primary.KeyId, replica.KeyId);
        Assert.Equal($"arn:aws:kms:{West}:{ServerFixture.Account}:key/{primary.KeyId}", replica.Arn);
        Assert.Equal(KeyState.Enabled, replica.KeyState);
        Assert.Equal("replica", replica.Description);
        Assert.Equal(MultiRegionKeyType.REPLICA, replica.MultiRegionConfiguration.MultiRegionKeyType);
        Assert.Equal(primary.Arn, replica.MultiRegionConfiguration.PrimaryKey.Arn);
        Assert.Equal(replica.Arn, Assert.Single(replica.MultiRegionConfiguration.ReplicaKeys).Arn);
        Assert.Equal(policy, replicated.ReplicaPolicy);
        Assert.Equal("blue", Assert.Single(replicated.ReplicaTags).TagValue);
        Assert.Equal(primary.CurrentKeyMaterialId, replica.CurrentKeyMaterialId);

        var described = (await _east.DescribeKeyAsync(new DescribeKeyRequest { KeyId = primary.KeyId })).KeyMetadata;
        Assert.Equal(West, Assert.Single(described.MultiRegionConfiguration.ReplicaKeys).Region);
        Assert.Equal("primary", described.Description);
        Assert.Empty((await _east.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = primary.KeyId })).Tags);
        Assert.Single((await _west.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = primary.KeyId })).Tags);
        Assert.Equal(policy, (await _west.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = primary.KeyId })).Policy);

        // Encrypt in one Region, decrypt in the other, both ways, with and without naming the key.
        var context = new Dictionary<string, string> { ["purpose"] = "dr" };
        foreach (var (from, to) in new[] { (_east, _west), (_west, _east) })
        {
            var plaintext = RandomNumberGenerator.GetBytes(100);
            var sealedBlob = (await from.EncryptAsync(new EncryptRequest
            {
                KeyId = primary.KeyId, Plaintext = new MemoryStream(plaintext), EncryptionContext = context,
            })).CiphertextBlob;
            var opened = await to.DecryptAsync(new DecryptRequest { CiphertextBlob = sealedBlob, EncryptionContext = context });
            Assert.Equal(plaintext, opened.Plaintext.ToArray());
            Assert.Equal(to == _west ? replica.Arn : primary.Arn, opened.KeyId);
            sealedBlob.Position = 0;
            var named = await to.DecryptAsync(new DecryptRequest { CiphertextBlob = sealedBlob, EncryptionContext = context, KeyId = primary.KeyId });
            Assert.Equal(plaintext, named.Plaintext.ToArray());
        }
        // A Region without a replica does not have the key.
        var blob = (await _east.EncryptAsync(new EncryptRequest { KeyId = primary.KeyId, Plaintext = new MemoryStream([7]) })).CiphertextBlob;
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => _south.DecryptAsync(new DecryptRequest { CiphertextBlob = blob }));

        // Key state is each Region's own.
        await _west.DisableKeyAsync(new DisableKeyRequest { KeyId = primary.KeyId });
        await Assert.ThrowsAsync<DisabledException>(() =>
            _west.EncryptAsync(new EncryptRequest { KeyId = primary.KeyId, Plaintext = new MemoryStream([1]) }));
        await _east.EncryptAsync(new EncryptRequest { KeyId = primary.KeyId, Plaintext = new MemoryStream([1]) });
        await _west.EnableKeyAsync(new EnableKeyRequest { KeyId = primary.KeyId });
    }

    [Fact]
    public async Task Replication_and_primary_changes_give_AWS_errors()
    {
        var single = (await _east.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = single.KeyId, ReplicaRegion = West }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            _east.UpdatePrimaryRegionAsync(new UpdatePrimaryRegionRequest { KeyId = single.KeyId, PrimaryRegion = West }));

        var mrk = (await _east.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata;
        // Into a Region this deployment does not serve; into the primary's own Region; twice into one Region.
        await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = mrk.KeyId, ReplicaRegion = "us-west-2" }));
        await Assert.ThrowsAsync<AlreadyExistsException>(() =>
            _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = mrk.KeyId, ReplicaRegion = East }));
        await _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = mrk.KeyId, ReplicaRegion = West });
        await Assert.ThrowsAsync<AlreadyExistsException>(() =>
            _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = mrk.KeyId, ReplicaRegion = West }));
        // Only the primary replicates, and only the primary changes the primary Region or the rotation.
        await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            _west.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = mrk.KeyId, ReplicaRegion = South }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            _west.UpdatePrimaryRegionAsync(new UpdatePrimaryRegionRequest { KeyId = mrk.KeyId, PrimaryRegion = West }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _west.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = mrk.KeyId }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _west.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = mrk.KeyId }));
        // A Region with no replica cannot become the primary's.
        await Assert.ThrowsAsync<NotFoundException>(() =>
            _east.UpdatePrimaryRegionAsync(new UpdatePrimaryRegionRequest { KeyId = mrk.KeyId, PrimaryRegion = South }));
        // A disabled primary is not replicated.
        await _east.DisableKeyAsync(new DisableKeyRequest { KeyId = mrk.KeyId });
        await Assert.ThrowsAsync<DisabledException>(() =>
            _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = mrk.KeyId, ReplicaRegion = South }));
        // A custom key store holds no Multi-Region key.
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _east.CreateKeyAsync(new CreateKeyRequest
        {
            MultiRegion = true, Origin = OriginType.AWS_CLOUDHSM, CustomKeyStoreId = "cks-1234567890abcdefg",
        }));
        // The replica's policy is checked like CreateKey's: the lockout check applies to the caller.
        await _east.EnableKeyAsync(new EnableKeyRequest { KeyId = mrk.KeyId });
        await Assert.ThrowsAsync<MalformedPolicyDocumentException>(() => _east.ReplicateKeyAsync(new ReplicateKeyRequest
        {
            KeyId = mrk.KeyId, ReplicaRegion = South, Policy = KeyPolicyFor("444455556666"),
        }));
    }

    [Fact]
    public async Task Rotating_the_primary_gives_every_replica_the_new_material()
    {
        var key = (await _east.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata.KeyId;
        await _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = key, ReplicaRegion = West });
        var before = (await _west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.CurrentKeyMaterialId;
        var old = (await _west.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([1, 1]) })).CiphertextBlob;

        await _east.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key, RotationPeriodInDays = 90 });
        var status = await _west.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key });
        Assert.True(status.KeyRotationEnabled);
        Assert.Equal(90, status.RotationPeriodInDays);

        await _east.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key });
        Assert.NotNull((await _west.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key })).OnDemandRotationStartDate);
        Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Rotated); // the primary only: its write carries the replica

        var after = (await _west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.CurrentKeyMaterialId;
        Assert.NotEqual(before, after);
        Assert.Equal(after, (await _east.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.CurrentKeyMaterialId);
        var rotations = (await _west.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key })).Rotations;
        Assert.Equal(after, Assert.Single(rotations).KeyMaterialId);
        Assert.Null((await _west.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key })).OnDemandRotationStartDate);

        // New material in the replica decrypts at the primary, old material still opens everywhere.
        var fresh = (await _west.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([2, 2]) })).CiphertextBlob;
        Assert.Equal([2, 2], (await _east.DecryptAsync(new DecryptRequest { CiphertextBlob = fresh })).Plaintext.ToArray());
        Assert.Equal([1, 1], (await _east.DecryptAsync(new DecryptRequest { CiphertextBlob = old })).Plaintext.ToArray());

        // Automatic rotation runs from the primary too.
        _server.Clock.Advance(TimeSpan.FromDays(91));
        Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Rotated);
        Assert.Equal(2, (await _west.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key })).Rotations.Count);
        await _east.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = key });
        Assert.False((await _west.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key })).KeyRotationEnabled);
    }

    [Fact]
    public async Task An_ecc_replica_signs_what_the_primary_verifies_and_hmac_replicas_share_the_mac()
    {
        var signing = (await _east.CreateKeyAsync(new CreateKeyRequest
        {
            MultiRegion = true, KeySpec = KeySpec.ECC_NIST_P256, KeyUsage = KeyUsageType.SIGN_VERIFY,
        })).KeyMetadata.KeyId;
        await _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = signing, ReplicaRegion = South });
        var message = "move the funds"u8.ToArray();
        var signature = (await _south.SignAsync(new SignRequest
        {
            KeyId = signing, Message = new MemoryStream(message), SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256,
        })).Signature.ToArray();
        var publicKey = (await _east.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = signing })).PublicKey.ToArray();
        Assert.Equal(publicKey, (await _south.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = signing })).PublicKey.ToArray());
        using (var ecdsa = ECDsa.Create())
        {
            ecdsa.ImportSubjectPublicKeyInfo(publicKey, out _);
            Assert.True(ecdsa.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        }
        Assert.True((await _east.VerifyAsync(new VerifyRequest
        {
            KeyId = signing, Message = new MemoryStream(message), Signature = new MemoryStream(signature),
            SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256,
        })).SignatureValid);

        var mac = (await _east.CreateKeyAsync(new CreateKeyRequest
        {
            MultiRegion = true, KeySpec = KeySpec.HMAC_256, KeyUsage = KeyUsageType.GENERATE_VERIFY_MAC,
        })).KeyMetadata.KeyId;
        await _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = mac, ReplicaRegion = West });
        var tag = (await _east.GenerateMacAsync(new GenerateMacRequest
        {
            KeyId = mac, Message = new MemoryStream(message), MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256,
        })).Mac;
        Assert.True((await _west.VerifyMacAsync(new VerifyMacRequest
        {
            KeyId = mac, Message = new MemoryStream(message), Mac = tag, MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256,
        })).MacValid);
    }

    [Fact]
    public async Task Updating_the_primary_region_swaps_the_roles()
    {
        var key = (await _east.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata.KeyId;
        await _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = key, ReplicaRegion = West });
        await _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = key, ReplicaRegion = South });
        await _east.UpdatePrimaryRegionAsync(new UpdatePrimaryRegionRequest { KeyId = key, PrimaryRegion = West });

        foreach (var client in new[] { _east, _west, _south })
        {
            var config = (await client.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.MultiRegionConfiguration;
            Assert.Equal(West, config.PrimaryKey.Region);
            Assert.Equal([East, South], config.ReplicaKeys.Select(r => r.Region).OrderDescending());
        }
        Assert.Equal(MultiRegionKeyType.PRIMARY,
            (await _west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.MultiRegionConfiguration.MultiRegionKeyType);
        // The new primary holds the shared properties now; the old one is a replica like the others.
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _east.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key }));
        await _west.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key });
        Assert.True((await _east.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key })).KeyRotationEnabled);
        var blob = (await _south.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([5]) })).CiphertextBlob;
        Assert.Equal([5], (await _east.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext.ToArray());
    }

    [Fact]
    public async Task A_primary_with_replicas_waits_for_their_deletion_before_its_own()
    {
        var key = (await _east.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata.KeyId;
        await _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = key, ReplicaRegion = West });

        var scheduled = await _east.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key, PendingWindowInDays = 7 });
        Assert.Equal(KeyState.PendingReplicaDeletion, scheduled.KeyState);
        Assert.Null(scheduled.DeletionDate);
        await Assert.ThrowsAsync<KMSInvalidStateException>(() =>
            _east.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([1]) }));
        await _east.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = key });
        Assert.Equal(KeyState.Disabled, (await _east.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.KeyState);

        await _east.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key, PendingWindowInDays = 7 });
        await _west.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key, PendingWindowInDays = 7 });
        _server.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Deleted); // the replica; then the primary's window starts
        await Assert.ThrowsAsync<NotFoundException>(() => _west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key }));
        var primary = (await _east.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata;
        Assert.Equal(KeyState.PendingDeletion, primary.KeyState);
        Assert.Empty(primary.MultiRegionConfiguration.ReplicaKeys ?? []);
        Assert.True(primary.DeletionDate > DateTime.UtcNow.AddDays(6));

        _server.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Deleted);
        await Assert.ThrowsAsync<NotFoundException>(() => _east.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key }));
    }

    [Fact]
    public async Task Imported_material_is_imported_into_each_region_and_must_be_the_same()
    {
        var key = (await _east.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true, Origin = OriginType.EXTERNAL })).KeyMetadata.KeyId;
        var material = RandomNumberGenerator.GetBytes(32);
        await ImportAsync(_east, key, material);
        var replica = (await _east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = key, ReplicaRegion = West })).ReplicaKeyMetadata;
        Assert.Equal(KeyState.PendingImport, replica.KeyState);
        await Assert.ThrowsAsync<KMSInvalidStateException>(() =>
            _west.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([1]) }));

        await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() => ImportAsync(_west, key, RandomNumberGenerator.GetBytes(32)));
        await ImportAsync(_west, key, material);
        Assert.Equal(KeyState.Enabled, (await _west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.KeyState);
        var blob = (await _east.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([4, 2]) })).CiphertextBlob;
        Assert.Equal([4, 2], (await _west.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext.ToArray());
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _east.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => ImportAsync(_west, key, RandomNumberGenerator.GetBytes(32), ImportType.NEW_KEY_MATERIAL));
    }

    [Fact]
    public async Task The_aws_cli_and_boto3_work_with_two_regions()
    {
        var dir = Directory.CreateTempSubdirectory("keyward-mrk-cli").FullName;
        try
        {
            var env = ExternalProcess.AwsEnvironment(dir);
            var endpoint = _server.Url.ToString().TrimEnd('/');
            var script = Path.Combine(AppContext.BaseDirectory, "Interop", "multi_region.py");
            var (code, stdout, stderr) = await ExternalProcess.RunAsync(Python, [script, endpoint, East, West], env, dir);
            Assert.True(code == 0, $"multi_region.py failed ({code}):\n{stdout}\n{stderr}");
            Assert.Contains("multi-region ok", stdout, StringComparison.Ordinal);

            var created = await ExternalProcess.RunAsync(AwsCli, ["kms", "create-key", "--multi-region", "--region", East,
                "--endpoint-url", endpoint, "--query", "KeyMetadata.KeyId", "--output", "text"], env, dir);
            Assert.True(created.Code == 0, created.Stderr);
            var id = created.Stdout.Trim();
            var replicated = await ExternalProcess.RunAsync(AwsCli, ["kms", "replicate-key", "--key-id", id, "--replica-region", South,
                "--region", East, "--endpoint-url", endpoint, "--query", "ReplicaKeyMetadata.Arn", "--output", "text"], env, dir);
            Assert.True(replicated.Code == 0, replicated.Stderr);
            Assert.Equal($"arn:aws:kms:{South}:{ServerFixture.Account}:key/{id}", replicated.Stdout.Trim());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static string AwsCli => Environment.GetEnvironmentVariable("KEYWARD_AWS_CLI") is { Length: > 0 } p ? p : "/usr/bin/aws";
    private static string Python => Environment.GetEnvironmentVariable("KEYWARD_PYTHON") is { Length: > 0 } p ? p : "python3";

    private async Task ImportAsync(AmazonKeyManagementServiceClient client, string key, byte[] material, ImportType? importType = null)
    {
        var parameters = await client.GetParametersForImportAsync(new GetParametersForImportRequest
        {
            KeyId = key, WrappingAlgorithm = AlgorithmSpec.RSAES_OAEP_SHA_256, WrappingKeySpec = WrappingKeySpec.RSA_2048,
        });
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(parameters.PublicKey.ToArray(), out _);
        await client.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key, ImportToken = parameters.ImportToken, ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE, ImportType = importType,
            EncryptedKeyMaterial = new MemoryStream(rsa.Encrypt(material, RSAEncryptionPadding.OaepSHA256)),
        });
    }

    private static async Task<List<string>> AllKeysAsync(AmazonKeyManagementServiceClient client)
    {
        var ids = new List<string>();
        string? marker = null;
        do
        {
            var page = await client.ListKeysAsync(new ListKeysRequest { Marker = marker });
            ids.AddRange(page.Keys.Select(k => k.KeyId));
            marker = page.Truncated == true ? page.NextMarker : null;
        } while (marker is not null);
        return ids;
    }

    private static string KeyPolicyFor(string account) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{account}}:root"},"Action":"kms:*","Resource":"*"}]}""";
}
