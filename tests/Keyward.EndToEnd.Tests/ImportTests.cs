using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Imported key material (BYOK) through the AWS SDK for .NET, with the material generated and
/// wrapped here by the BCL exactly as the developer guide describes (the aws CLI + openssl
/// procedure is in ImportCliTests). Own server: the tests move the lifecycle clock.
/// </summary>
public sealed class ImportTests : IAsyncLifetime
{
    private readonly ServerFixture _server = new() { LifecycleJob = false };
    private AmazonKeyManagementServiceClient _kms = null!;

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        _kms = _server.Client();
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    public static TheoryData<string, string, string, string> Cases => new()
    {
        { "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "RSAES_OAEP_SHA_1", "RSA_2048" },
        { "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "RSAES_OAEP_SHA_256", "RSA_3072" },
        { "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "RSA_AES_KEY_WRAP_SHA_1", "RSA_2048" },
        { "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "RSA_AES_KEY_WRAP_SHA_256", "RSA_4096" },
        { "HMAC_384", "GENERATE_VERIFY_MAC", "RSAES_OAEP_SHA_256", "RSA_2048" },
        { "HMAC_512", "GENERATE_VERIFY_MAC", "RSA_AES_KEY_WRAP_SHA_1", "RSA_3072" },
        { "RSA_2048", "SIGN_VERIFY", "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048" },
        { "RSA_3072", "ENCRYPT_DECRYPT", "RSA_AES_KEY_WRAP_SHA_1", "RSA_3072" },
        { "ECC_NIST_P256", "SIGN_VERIFY", "RSAES_OAEP_SHA_1", "RSA_2048" },
        { "ECC_NIST_P521", "SIGN_VERIFY", "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048" },
        { "ECC_SECG_P256K1", "SIGN_VERIFY", "RSA_AES_KEY_WRAP_SHA_1", "RSA_2048" },
        { "ECC_NIST_P384", "KEY_AGREEMENT", "RSAES_OAEP_SHA_256", "RSA_3072" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Imported_material_is_the_material_the_key_uses(string spec, string usage, string algorithm, string wrappingSpec)
    {
        var key = await NewExternalKeyAsync(spec, usage);
        var described = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata;
        Assert.Equal(KeyState.PendingImport, described.KeyState);
        Assert.Equal(OriginType.EXTERNAL, described.Origin);
        Assert.False(described.Enabled);

        using var material = Material.Create(spec);
        var imported = await ImportAsync(key, material.Bytes, algorithm, wrappingSpec);
        Assert.Equal($"arn:aws:kms:us-east-1:111122223333:key/{key}", imported.KeyId);
        described = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata;
        Assert.Equal(KeyState.Enabled, described.KeyState);
        Assert.Equal(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE, described.ExpirationModel);

        var message = Encoding.UTF8.GetBytes("imported material at work");
        switch (usage)
        {
            case "ENCRYPT_DECRYPT" when spec == "SYMMETRIC_DEFAULT":
                Assert.Equal(ExpectedMaterialId(key, material.Bytes), imported.KeyMaterialId);
                Assert.Equal(imported.KeyMaterialId, described.CurrentKeyMaterialId);
                var blob = (await _kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream(message) })).CiphertextBlob;
                Assert.Equal(message, (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext.ToArray());
                break;
            case "ENCRYPT_DECRYPT":
                var ciphertext = material.Rsa!.Encrypt(message, RSAEncryptionPadding.OaepSHA256);
                var decrypted = await _kms.DecryptAsync(new DecryptRequest
                {
                    KeyId = key, CiphertextBlob = new MemoryStream(ciphertext), EncryptionAlgorithm = EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256,
                });
                Assert.Equal(message, decrypted.Plaintext.ToArray());
                break;
            case "GENERATE_VERIFY_MAC":
                var algorithmName = spec == "HMAC_384" ? MacAlgorithmSpec.HMAC_SHA_384 : MacAlgorithmSpec.HMAC_SHA_512;
                var mac = await _kms.GenerateMacAsync(new GenerateMacRequest { KeyId = key, Message = new MemoryStream(message), MacAlgorithm = algorithmName });
                var expected = spec == "HMAC_384" ? HMACSHA384.HashData(material.Bytes, message) : HMACSHA512.HashData(material.Bytes, message);
                Assert.Equal(expected, mac.Mac.ToArray());
                break;
            case "SIGN_VERIFY":
                var publicKey = (await _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key })).PublicKey.ToArray();
                Assert.Equal(material.Asymmetric!.ExportSubjectPublicKeyInfo(), publicKey);
                var p521 = spec == "ECC_NIST_P521";
                var signingAlgorithm = material.Rsa is not null ? SigningAlgorithmSpec.RSASSA_PSS_SHA_256
                    : p521 ? SigningAlgorithmSpec.ECDSA_SHA_512 : SigningAlgorithmSpec.ECDSA_SHA_256;
                var signature = (await _kms.SignAsync(new SignRequest
                {
                    KeyId = key, Message = new MemoryStream(message), MessageType = MessageType.RAW, SigningAlgorithm = signingAlgorithm,
                })).Signature.ToArray();
                Assert.True(material.Rsa is { } rsa
                    ? rsa.VerifyData(message, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)
                    : material.Ec!.VerifyData(message, signature, p521 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
                break;
            case "KEY_AGREEMENT":
                using (var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384))
                using (var mine = ECDiffieHellman.Create())
                {
                    mine.ImportPkcs8PrivateKey(material.Bytes, out _);
                    var secret = await _kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
                    {
                        KeyId = key, KeyAgreementAlgorithm = KeyAgreementAlgorithmSpec.ECDH, PublicKey = new MemoryStream(peer.ExportSubjectPublicKeyInfo()),
                    });
                    using var peerPublic = peer.PublicKey;
                    Assert.Equal(mine.DeriveRawSecretAgreement(peerPublic), secret.SharedSecret.ToArray());
                }
                break;
        }

        // Asymmetric and HMAC keys keep the material of their first import.
        using var other = Material.Create(spec);
        await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() => ImportAsync(key, other.Bytes, algorithm, wrappingSpec));
    }

    [Fact]
    public async Task Deleted_or_expired_material_comes_back_only_with_the_same_material()
    {
        var key = await NewExternalKeyAsync("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
        var arn = $"arn:aws:kms:us-east-1:111122223333:key/{key}";
        var pendingImport = await Assert.ThrowsAsync<KMSInvalidStateException>(() => EncryptAsync(key));
        Assert.Equal($"{arn} is pending import.", pendingImport.Message);

        var material = RandomNumberGenerator.GetBytes(32);
        var validTo = _server.Clock.GetUtcNow().AddDays(10).UtcDateTime;
        await ImportAsync(key, material, "RSAES_OAEP_SHA_256", "RSA_2048", validTo);
        var described = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata;
        Assert.Equal(ExpirationModelType.KEY_MATERIAL_EXPIRES, described.ExpirationModel);
        // The SDK sends whole epoch seconds.
        Assert.InRange(described.ValidTo!.Value, validTo.AddSeconds(-1), validTo.AddSeconds(1));
        var blob = await EncryptAsync(key);

        var deleted = await _kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = key });
        Assert.Equal(described.CurrentKeyMaterialId, deleted.KeyMaterialId);
        Assert.Equal(KeyState.PendingImport, await StateAsync(key));
        // As AWS describes such a key: no ExpirationModel or ValidTo until material is imported again.
        var withoutMaterial = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata;
        Assert.Equal((false, null, null), (withoutMaterial.Enabled, withoutMaterial.ExpirationModel?.Value, withoutMaterial.ValidTo));
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) }));

        var wrongMaterial = await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() =>
            ImportAsync(key, RandomNumberGenerator.GetBytes(32), "RSAES_OAEP_SHA_256", "RSA_2048"));
        Assert.Equal("The key material is not the same key material that was previously imported into this KMS key.", wrongMaterial.Message);
        Assert.Equal(KeyState.PendingImport, await StateAsync(key));

        await ImportAsync(key, material, "RSA_AES_KEY_WRAP_SHA_256", "RSA_4096");
        Assert.Equal(KeyState.Enabled, await StateAsync(key));
        Assert.Null((await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.ValidTo);
        await DecryptsAsync(blob);

        // Expiry: the job deletes the material at ValidTo, and the key waits for it again.
        await ImportAsync(key, material, "RSAES_OAEP_SHA_1", "RSA_2048", _server.Clock.GetUtcNow().AddDays(2).UtcDateTime);
        _server.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, (await _server.Host.RunLifecycleJobAsync()).Expired);
        _server.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Expired);
        Assert.Equal(KeyState.PendingImport, await StateAsync(key));
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) }));
        var rows = await _kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL });
        Assert.Equal(ImportState.PENDING_IMPORT, Assert.Single(rows.Rotations).ImportState);

        await ImportAsync(key, material, "RSA_AES_KEY_WRAP_SHA_1", "RSA_3072");
        await DecryptsAsync(blob);

        // Deleting material of a key pending deletion leaves it pending deletion; cancelling finds the material missing.
        await _kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key, PendingWindowInDays = 7 });
        await _kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = key });
        Assert.Equal(KeyState.PendingDeletion, await StateAsync(key));
        await _kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = key });
        Assert.Equal(KeyState.PendingImport, await StateAsync(key));
    }

    [Fact]
    public async Task Symmetric_keys_rotate_onto_new_imported_material()
    {
        var key = await NewExternalKeyAsync("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
        var first = RandomNumberGenerator.GetBytes(32);
        var second = RandomNumberGenerator.GetBytes(32);
        var firstId = (await ImportAsync(key, first, "RSAES_OAEP_SHA_256", "RSA_2048", description: "first")).KeyMaterialId;
        var oldBlob = await EncryptAsync(key);
        // Nothing imported for rotation yet: AWS's KMSInvalidStateException and wording.
        var nothingPending = await Assert.ThrowsAsync<KMSInvalidStateException>(() =>
            _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key }));
        Assert.Equal($"No available key material pending rotation for the key: arn:aws:kms:us-east-1:111122223333:key/{key}.", nothingPending.Message);

        var secondId = (await ImportAsync(key, second, "RSAES_OAEP_SHA_256", "RSA_2048", importType: ImportType.NEW_KEY_MATERIAL)).KeyMaterialId;
        var listed = (await _kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL })).Rotations;
        Assert.Equal([firstId, secondId], listed.Select(r => r.KeyMaterialId));
        Assert.Equal([KeyMaterialState.CURRENT, KeyMaterialState.PENDING_ROTATION], listed.Select(r => r.KeyMaterialState));
        Assert.Equal("first", listed[0].KeyMaterialDescription);
        Assert.Empty((await _kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key })).Rotations);

        var twoPending = await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() =>
            ImportAsync(key, RandomNumberGenerator.GetBytes(32), "RSAES_OAEP_SHA_256", "RSA_2048", importType: ImportType.NEW_KEY_MATERIAL));
        Assert.Contains("PENDING_ROTATION", twoPending.Message);
        await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() =>
            ImportAsync(key, first, "RSAES_OAEP_SHA_256", "RSA_2048", importType: ImportType.NEW_KEY_MATERIAL));

        await _kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key });
        Assert.Equal(1, (await _server.Host.RunLifecycleJobAsync()).Rotated);
        Assert.Equal(secondId, (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.CurrentKeyMaterialId);
        var rotation = Assert.Single((await _kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key })).Rotations);
        Assert.Equal((secondId, RotationType.ON_DEMAND, KeyMaterialState.CURRENT, ImportState.IMPORTED),
            (rotation.KeyMaterialId, rotation.RotationType, rotation.KeyMaterialState, rotation.ImportState));
        var newBlob = await EncryptAsync(key);
        await DecryptsAsync(oldBlob);

        // Losing any permanently associated material makes the key unusable until it is back.
        await _kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = key, KeyMaterialId = firstId });
        Assert.Equal(KeyState.PendingImport, await StateAsync(key));
        await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() => ImportAsync(key, first, "RSAES_OAEP_SHA_256", "RSA_2048", materialId: secondId));
        await ImportAsync(key, first, "RSAES_OAEP_SHA_256", "RSA_2048", materialId: firstId, importType: ImportType.EXISTING_KEY_MATERIAL);
        Assert.Equal(KeyState.Enabled, await StateAsync(key));
        await DecryptsAsync(oldBlob);
        await DecryptsAsync(newBlob);
    }

    [Fact]
    public async Task Import_errors_are_AWS_errors()
    {
        var key = await NewExternalKeyAsync("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
        var otherKey = await NewExternalKeyAsync("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
        var material = RandomNumberGenerator.GetBytes(32);
        var parameters = await ParametersAsync(key, "RSAES_OAEP_SHA_256", "RSA_2048");
        Assert.InRange(parameters.ParametersValidTo!.Value, DateTime.UtcNow.AddHours(24).AddMinutes(-1), DateTime.UtcNow.AddHours(24).AddMinutes(1));
        var wrapped = Wrap(parameters.PublicKey.ToArray(), "RSAES_OAEP_SHA_256", material);

        await Assert.ThrowsAsync<InvalidImportTokenException>(() => SendImportAsync(key, RandomNumberGenerator.GetBytes(49), wrapped));
        var foreign = await Assert.ThrowsAsync<InvalidImportTokenException>(() => SendImportAsync(otherKey, parameters.ImportToken.ToArray(), wrapped));
        Assert.Equal("The import token is invalid or is associated with a different KMS key.", foreign.Message);
        // Wrapped with another algorithm than the token's: the material does not open.
        await Assert.ThrowsAsync<InvalidCiphertextException>(() =>
            SendImportAsync(key, parameters.ImportToken.ToArray(), Wrap(parameters.PublicKey.ToArray(), "RSAES_OAEP_SHA_1", material)));
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => SendImportAsync(key, parameters.ImportToken.ToArray(), RandomNumberGenerator.GetBytes(256)));
        var malformed = await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() =>
            SendImportAsync(key, parameters.ImportToken.ToArray(), Wrap(parameters.PublicKey.ToArray(), "RSAES_OAEP_SHA_256", material[..31])));
        Assert.Equal("The key material is invalid for the key spec of this KMS key.", malformed.Message);

        var noValidTo = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            _kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
            {
                KeyId = key, ImportToken = new MemoryStream(parameters.ImportToken.ToArray()), EncryptedKeyMaterial = new MemoryStream(wrapped),
            }));
        Assert.Equal(("ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"), (noValidTo.ErrorCode, noValidTo.Message));
        var tooLate = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            SendImportAsync(key, parameters.ImportToken.ToArray(), wrapped, _server.Clock.GetUtcNow().AddDays(366).UtcDateTime));
        Assert.Equal("ValidationException", tooLate.ErrorCode);
        var past = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            SendImportAsync(key, parameters.ImportToken.ToArray(), wrapped, _server.Clock.GetUtcNow().AddDays(-1).UtcDateTime));
        Assert.Equal("ValidationException", past.ErrorCode);

        _server.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        await Assert.ThrowsAsync<ExpiredImportTokenException>(() => SendImportAsync(key, parameters.ImportToken.ToArray(), wrapped));
        Assert.Equal(KeyState.PendingImport, await StateAsync(key));
    }

    [Fact]
    public async Task GetParametersForImport_refuses_what_AWS_refuses()
    {
        var generated = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var origin = await Assert.ThrowsAsync<UnsupportedOperationException>(() => ParametersAsync(generated, "RSAES_OAEP_SHA_256", "RSA_2048"));
        Assert.Equal($"arn:aws:kms:us-east-1:111122223333:key/{generated} origin is AWS_KMS which is not valid for this operation.", origin.Message);
        await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            _kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = generated }));

        var rsa = await NewExternalKeyAsync("RSA_2048", "SIGN_VERIFY");
        var oaep = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => ParametersAsync(rsa, "RSAES_OAEP_SHA_256", "RSA_4096"));
        Assert.Equal("ValidationException", oaep.ErrorCode);
        var p521 = await NewExternalKeyAsync("ECC_NIST_P521", "SIGN_VERIFY");
        Assert.Equal("ValidationException", (await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => ParametersAsync(p521, "RSAES_OAEP_SHA_1", "RSA_2048"))).ErrorCode);
        await ParametersAsync(p521, "RSAES_OAEP_SHA_1", "RSA_3072");
        var symmetric = await NewExternalKeyAsync("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
        Assert.Equal("ValidationException", (await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => ParametersAsync(symmetric, "RSAES_PKCS1_V1_5", "RSA_2048"))).ErrorCode);
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => ParametersAsync(symmetric, "SM2PKE", "SM2"));

        var hmac = await NewExternalKeyAsync("HMAC_256", "GENERATE_VERIFY_MAC");
        var hmacParameters = await ParametersAsync(hmac, "RSAES_OAEP_SHA_256", "RSA_2048");
        var importType = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = hmac,
            ImportToken = new MemoryStream(hmacParameters.ImportToken.ToArray()),
            EncryptedKeyMaterial = new MemoryStream(Wrap(hmacParameters.PublicKey.ToArray(), "RSAES_OAEP_SHA_256", RandomNumberGenerator.GetBytes(32))),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
            ImportType = ImportType.NEW_KEY_MATERIAL,
        }));
        Assert.Equal("ValidationException", importType.ErrorCode);

        await _kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = symmetric, PendingWindowInDays = 7 });
        var pending = await Assert.ThrowsAsync<KMSInvalidStateException>(() => ParametersAsync(symmetric, "RSAES_OAEP_SHA_256", "RSA_2048"));
        Assert.EndsWith("is pending deletion.", pending.Message);
    }

    // Helpers.

    private async Task<string> NewExternalKeyAsync(string spec, string usage) =>
        (await _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = spec, KeyUsage = usage, Origin = OriginType.EXTERNAL })).KeyMetadata.KeyId;

    private Task<GetParametersForImportResponse> ParametersAsync(string key, string algorithm, string wrappingSpec) =>
        _kms.GetParametersForImportAsync(new GetParametersForImportRequest
        {
            KeyId = key, WrappingAlgorithm = algorithm, WrappingKeySpec = wrappingSpec,
        });

    private async Task<ImportKeyMaterialResponse> ImportAsync(string key, byte[] material, string algorithm, string wrappingSpec, DateTime? validTo = null,
        ImportType? importType = null, string? materialId = null, string? description = null)
    {
        var parameters = await ParametersAsync(key, algorithm, wrappingSpec);
        return await SendImportAsync(key, parameters.ImportToken.ToArray(), Wrap(parameters.PublicKey.ToArray(), algorithm, material), validTo,
            importType, materialId, description);
    }

    private Task<ImportKeyMaterialResponse> SendImportAsync(string key, byte[] token, byte[] wrapped, DateTime? validTo = null,
        ImportType? importType = null, string? materialId = null, string? description = null) =>
        _kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key,
            ImportToken = new MemoryStream(token),
            EncryptedKeyMaterial = new MemoryStream(wrapped),
            ExpirationModel = validTo is null ? ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE : ExpirationModelType.KEY_MATERIAL_EXPIRES,
            ValidTo = validTo,
            ImportType = importType,
            KeyMaterialId = materialId,
            KeyMaterialDescription = description,
        });

    /// <summary>The developer guide's wrapping: RSAES-OAEP, or an AES-256 key under RSAES-OAEP followed by RFC 5649 key wrap.</summary>
    private static byte[] Wrap(byte[] publicKey, string algorithm, byte[] material)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(publicKey, out _);
        var padding = algorithm.EndsWith("_SHA_1", StringComparison.Ordinal) ? RSAEncryptionPadding.OaepSHA1 : RSAEncryptionPadding.OaepSHA256;
        if (!algorithm.StartsWith("RSA_AES_KEY_WRAP_", StringComparison.Ordinal)) return rsa.Encrypt(material, padding);
        var aesKey = RandomNumberGenerator.GetBytes(32);
        using var aes = Aes.Create();
        aes.Key = aesKey;
        return [.. rsa.Encrypt(aesKey, padding), .. aes.EncryptKeyWrapPadded(material)];
    }

    private static string ExpectedMaterialId(string keyId, byte[] material) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(material, Encoding.UTF8.GetBytes("keyward/imported-material-id/v1\n" + keyId)));

    private async Task<byte[]> EncryptAsync(string key) =>
        (await _kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([4, 2]) })).CiphertextBlob.ToArray();

    private async Task DecryptsAsync(byte[] blob) =>
        Assert.Equal([4, 2], (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext.ToArray());

    private async Task<KeyState> StateAsync(string key) => (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.KeyState;

    /// <summary>Key material as a customer would produce it: random bytes, or a PKCS#8 private key.</summary>
    private sealed class Material : IDisposable
    {
        public required byte[] Bytes { get; init; }
        public AsymmetricAlgorithm? Asymmetric { get; init; }
        public RSA? Rsa => Asymmetric as RSA;
        public ECDsa? Ec => Asymmetric as ECDsa;

        public static Material Create(string spec)
        {
            AsymmetricAlgorithm? key = spec switch
            {
                "RSA_2048" => RSA.Create(2048),
                "RSA_3072" => RSA.Create(3072),
                "ECC_NIST_P256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
                "ECC_NIST_P384" => ECDsa.Create(ECCurve.NamedCurves.nistP384),
                "ECC_NIST_P521" => ECDsa.Create(ECCurve.NamedCurves.nistP521),
                "ECC_SECG_P256K1" => ECDsa.Create(ECCurve.CreateFromValue("1.3.132.0.10")),
                _ => null,
            };
            var bytes = key?.ExportPkcs8PrivateKey() ?? RandomNumberGenerator.GetBytes(spec switch
            {
                "HMAC_384" => 100, // longer than the digest: AWS allows 48–128 bytes
                "HMAC_512" => 64,
                _ => 32,
            });
            return new Material { Bytes = bytes, Asymmetric = key };
        }

        public void Dispose() => Asymmetric?.Dispose();
    }
}
