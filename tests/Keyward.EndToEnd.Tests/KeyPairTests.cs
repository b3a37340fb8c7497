using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>CreateKey rules for every spec, GenerateDataKeyPair and DeriveSharedSecret, through the AWS SDK for .NET.</summary>
/// <remarks>A server of its own (not the shared collection's), so this slow class runs beside the others.</remarks>
public sealed class KeyPairTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly AmazonKeyManagementServiceClient _kms = server.Client();

    [Theory]
    [InlineData("RSA_2048", "GENERATE_VERIFY_MAC")]
    [InlineData("ECC_NIST_P256", "ENCRYPT_DECRYPT")]
    [InlineData("ECC_SECG_P256K1", "KEY_AGREEMENT")]
    [InlineData("HMAC_256", "SIGN_VERIFY")]
    [InlineData("SYMMETRIC_DEFAULT", "SIGN_VERIFY")]
    public async Task A_usage_the_spec_does_not_allow_is_a_ValidationException(string spec, string usage)
    {
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = spec, KeyUsage = usage }));
        Assert.Equal("ValidationException", e.ErrorCode);
        Assert.Equal($"KeyUsage {usage} is not compatible with KeySpec {spec}", e.Message);
    }

    [Theory]
    [InlineData("RSA_2048")]
    [InlineData("ECC_NIST_P384")]
    [InlineData("HMAC_512")]
    public async Task Every_non_symmetric_spec_requires_a_KeyUsage(string spec)
    {
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = spec }));
        Assert.Equal("ValidationException", e.ErrorCode);
        Assert.Equal("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.", e.Message);
    }

    [Theory]
    [InlineData("SM2")] // China Regions only
    public async Task Specs_of_other_partitions_are_UnsupportedOperation(string spec)
    {
        var e = await Assert.ThrowsAsync<UnsupportedOperationException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = spec, KeyUsage = "SIGN_VERIFY" }));
        Assert.Equal($"KeySpec {spec} is not supported by this server.", e.Message);
    }

    public static TheoryData<string> PairSpecs() => new() { "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1" };

    [Theory]
    [MemberData(nameof(PairSpecs))]
    public async Task GenerateDataKeyPair_returns_a_matching_PKCS8_private_key_encrypted_under_the_KMS_key(string pairSpec)
    {
        var key = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var context = new Dictionary<string, string> { ["device"] = "sensor-9" };
        var pair = await _kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = key.KeyId, KeyPairSpec = pairSpec, EncryptionContext = context });
        Assert.Equal(pairSpec, pair.KeyPairSpec.Value);
        Assert.Equal(key.Arn, pair.KeyId);
        Assert.Equal(key.CurrentKeyMaterialId, pair.KeyMaterialId);
        var privateKey = pair.PrivateKeyPlaintext.ToArray();
        var publicKey = pair.PublicKey.ToArray();
        Assert.Equal(publicKey, PublicKeyOf(pairSpec, privateKey));

        var decrypted = await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = pair.PrivateKeyCiphertextBlob, EncryptionContext = context });
        Assert.Equal(privateKey, decrypted.Plaintext.ToArray());
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = pair.PrivateKeyCiphertextBlob }));

        var withoutPlaintext = await _kms.GenerateDataKeyPairWithoutPlaintextAsync(new GenerateDataKeyPairWithoutPlaintextRequest { KeyId = key.KeyId, KeyPairSpec = pairSpec });
        var recovered = (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = withoutPlaintext.PrivateKeyCiphertextBlob })).Plaintext.ToArray();
        Assert.Equal(withoutPlaintext.PublicKey.ToArray(), PublicKeyOf(pairSpec, recovered));
        Assert.NotEqual(publicKey, withoutPlaintext.PublicKey.ToArray());
    }

    private static byte[] PublicKeyOf(string spec, byte[] pkcs8)
    {
        using AsymmetricAlgorithm key = spec.StartsWith("RSA", StringComparison.Ordinal) ? RSA.Create() : ECDsa.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out var read);
        Assert.Equal(pkcs8.Length, read);
        return key.ExportSubjectPublicKeyInfo();
    }

    [Fact]
    public async Task GenerateDataKeyPairWithoutPlaintext_sends_no_private_key_and_unsupported_pair_specs_are_refused()
    {
        var key = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var raw = new RawClient(server.Url);
        var reply = await raw.SendAsync("GenerateDataKeyPairWithoutPlaintext", $"{{\"KeyId\":\"{key.KeyId}\",\"KeyPairSpec\":\"ECC_NIST_P256\"}}");
        Assert.Equal(200, reply.Status);
        Assert.False(reply.Body.TryGetProperty("PrivateKeyPlaintext", out _));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            _kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = key.KeyId, KeyPairSpec = "SM2" }));
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            _kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = key.KeyId, KeyPairSpec = "RSA_1024" }));
        Assert.Equal("ValidationException", e.ErrorCode);
    }

    [Theory]
    [InlineData("ECC_NIST_P256")]
    [InlineData("ECC_NIST_P384")]
    [InlineData("ECC_NIST_P521")]
    public async Task DeriveSharedSecret_matches_the_secret_the_peer_derives(string spec)
    {
        var key = await SharedKeys.GetAsync(server, spec, "KEY_AGREEMENT");
        var kmsPublic = (await _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId })).PublicKey.ToArray();
        using var peer = ECDiffieHellman.Create(CurveOf(spec));
        var reply = await _kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
        {
            KeyId = key.KeyId, KeyAgreementAlgorithm = "ECDH", PublicKey = new MemoryStream(peer.ExportSubjectPublicKeyInfo()),
        });
        Assert.Equal("ECDH", reply.KeyAgreementAlgorithm.Value);
        Assert.Equal("AWS_KMS", reply.KeyOrigin.Value);
        using var kmsSide = ECDiffieHellman.Create();
        kmsSide.ImportSubjectPublicKeyInfo(kmsPublic, out _);
        Assert.Equal(peer.DeriveRawSecretAgreement(kmsSide.PublicKey), reply.SharedSecret.ToArray());
    }

    private static ECCurve CurveOf(string spec) => spec switch
    {
        "ECC_NIST_P256" => ECCurve.NamedCurves.nistP256,
        "ECC_NIST_P384" => ECCurve.NamedCurves.nistP384,
        _ => ECCurve.NamedCurves.nistP521,
    };

    [Fact]
    public async Task DeriveSharedSecret_refuses_peers_on_other_curves_garbage_and_keys_of_other_usages()
    {
        var key = await SharedKeys.GetAsync(server, "ECC_NIST_P256", "KEY_AGREEMENT");
        using var otherCurve = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        foreach (var bad in new[] { otherCurve.ExportSubjectPublicKeyInfo(), new byte[] { 0x30, 0x00 }, RSA.Create(2048).ExportSubjectPublicKeyInfo() })
        {
            var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
            {
                KeyId = key.KeyId, KeyAgreementAlgorithm = "ECDH", PublicKey = new MemoryStream(bad),
            }));
            Assert.Equal("ValidationException", e.ErrorCode);
        }
        var signing = await SharedKeys.GetAsync(server, "ECC_NIST_P256", "SIGN_VERIFY");
        using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var usage = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
        {
            KeyId = signing.KeyId, KeyAgreementAlgorithm = "ECDH", PublicKey = new MemoryStream(peer.ExportSubjectPublicKeyInfo()),
        }));
        Assert.Equal($"{signing.Arn} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.", usage.Message);
        // A KEY_AGREEMENT key signs nothing.
        await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.SignAsync(new SignRequest
        {
            KeyId = key.KeyId, Message = new MemoryStream([1]), SigningAlgorithm = "ECDSA_SHA_256",
        }));
    }
}
