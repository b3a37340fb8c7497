using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>RSAES-OAEP Encrypt, Decrypt and ReEncrypt with RSA keys, through the AWS SDK for .NET.</summary>
[Collection(ServerCollection.Name)]
public sealed class AsymmetricEncryptionTests(ServerFixture server)
{
    private readonly AmazonKeyManagementServiceClient _kms = server.Client();

    [Theory]
    [InlineData("RSA_2048", "RSAES_OAEP_SHA_1", 214)]
    [InlineData("RSA_2048", "RSAES_OAEP_SHA_256", 190)]
    [InlineData("RSA_3072", "RSAES_OAEP_SHA_1", 342)]
    [InlineData("RSA_3072", "RSAES_OAEP_SHA_256", 318)]
    [InlineData("RSA_4096", "RSAES_OAEP_SHA_1", 470)]
    [InlineData("RSA_4096", "RSAES_OAEP_SHA_256", 446)]
    public async Task Encrypt_takes_AWS_maximum_plaintext_and_both_Keyward_and_outside_ciphertexts_decrypt(string spec, string algorithm, int max)
    {
        var key = await SharedKeys.GetAsync(server, spec, "ENCRYPT_DECRYPT");
        var plaintext = RandomNumberGenerator.GetBytes(max);
        var encrypted = await _kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId, Plaintext = new MemoryStream(plaintext), EncryptionAlgorithm = algorithm,
        });
        Assert.Equal(algorithm, encrypted.EncryptionAlgorithm.Value);
        var ciphertext = encrypted.CiphertextBlob.ToArray();
        Assert.Equal(int.Parse(spec[4..]) / 8, ciphertext.Length); // raw RSA output, no header
        Assert.Equal(plaintext, await DecryptAsync(key.KeyId, ciphertext, algorithm));

        // Encrypted outside KMS with the public key from GetPublicKey.
        var publicKey = (await _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId })).PublicKey.ToArray();
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(publicKey, out _);
        var padding = algorithm == "RSAES_OAEP_SHA_1" ? RSAEncryptionPadding.OaepSHA1 : RSAEncryptionPadding.OaepSHA256;
        Assert.Equal(plaintext, await DecryptAsync(key.Arn, rsa.Encrypt(plaintext, padding), algorithm));

        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId, Plaintext = new MemoryStream(new byte[max + 1]), EncryptionAlgorithm = algorithm,
        }));
        Assert.Equal("ValidationException", e.ErrorCode);
        Assert.Equal($"Algorithm {algorithm} and key spec {spec} cannot encrypt data larger than {max} bytes.", e.Message);
    }

    private async Task<byte[]> DecryptAsync(string keyId, byte[] ciphertext, string algorithm) =>
        (await _kms.DecryptAsync(new DecryptRequest { KeyId = keyId, CiphertextBlob = new MemoryStream(ciphertext), EncryptionAlgorithm = algorithm })).Plaintext.ToArray();

    [Fact]
    public async Task Asymmetric_Decrypt_needs_the_key_and_the_algorithm_it_was_encrypted_with()
    {
        var key = await SharedKeys.GetAsync(server, "RSA_2048", "ENCRYPT_DECRYPT");
        var ciphertext = (await _kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId, Plaintext = new MemoryStream("pin 1234"u8.ToArray()), EncryptionAlgorithm = "RSAES_OAEP_SHA_256",
        })).CiphertextBlob.ToArray();

        // Without KeyId the ciphertext has no header naming a key.
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => _kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(ciphertext), EncryptionAlgorithm = "RSAES_OAEP_SHA_256",
        }));
        var e = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.DecryptAsync(new DecryptRequest
        {
            KeyId = key.KeyId, CiphertextBlob = new MemoryStream(ciphertext),
        }));
        Assert.Equal("Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.", e.Message);
        // The other OAEP hash: the padding check fails, with no detail.
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => DecryptAsync(key.KeyId, ciphertext, "RSAES_OAEP_SHA_1"));
        var other = await SharedKeys.GetAsync(server, "RSA_3072", "ENCRYPT_DECRYPT");
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => DecryptAsync(other.KeyId, ciphertext, "RSAES_OAEP_SHA_256"));
        var tampered = (byte[])ciphertext.Clone();
        tampered[^1] ^= 0x80;
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => DecryptAsync(key.KeyId, tampered, "RSAES_OAEP_SHA_256"));
    }

    [Fact]
    public async Task RSA_keys_refuse_an_encryption_context_a_missing_algorithm_and_data_keys()
    {
        var key = await SharedKeys.GetAsync(server, "RSA_2048", "ENCRYPT_DECRYPT");
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId, Plaintext = new MemoryStream([1]), EncryptionAlgorithm = "RSAES_OAEP_SHA_256",
            EncryptionContext = new Dictionary<string, string> { ["purpose"] = "test" },
        }));
        Assert.Equal("ValidationException", e.ErrorCode);
        var usage = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1]) }));
        Assert.Equal("Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.", usage.Message);
        usage = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = "AES_256" }));
        Assert.Equal("Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.", usage.Message);
        usage = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = key.KeyId, KeyPairSpec = "ECC_NIST_P256" }));

        var symmetric = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        usage = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.EncryptAsync(new EncryptRequest
        {
            KeyId = symmetric.KeyId, Plaintext = new MemoryStream([1]), EncryptionAlgorithm = "RSAES_OAEP_SHA_1",
        }));
        Assert.Equal("Algorithm RSAES_OAEP_SHA_1 is incompatible with key spec SYMMETRIC_DEFAULT.", usage.Message);

        var signing = await SharedKeys.GetAsync(server, "RSA_2048", "SIGN_VERIFY");
        usage = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.EncryptAsync(new EncryptRequest
        {
            KeyId = signing.KeyId, Plaintext = new MemoryStream([1]), EncryptionAlgorithm = "RSAES_OAEP_SHA_256",
        }));
        Assert.Equal($"{signing.Arn} key usage is SIGN_VERIFY which is not valid for Encrypt.", usage.Message);
    }

    [Fact]
    public async Task ReEncrypt_moves_data_between_symmetric_and_RSA_keys_in_both_directions()
    {
        var rsaKey = await SharedKeys.GetAsync(server, "RSA_3072", "ENCRYPT_DECRYPT");
        var symmetric = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var plaintext = "wire 500 EUR"u8.ToArray();
        var context = new Dictionary<string, string> { ["ledger"] = "7" };
        var blob = (await _kms.EncryptAsync(new EncryptRequest { KeyId = symmetric.KeyId, Plaintext = new MemoryStream(plaintext), EncryptionContext = context })).CiphertextBlob;

        var toRsa = await _kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = blob, SourceEncryptionContext = context, DestinationKeyId = rsaKey.KeyId, DestinationEncryptionAlgorithm = "RSAES_OAEP_SHA_256",
        });
        Assert.Equal("RSAES_OAEP_SHA_256", toRsa.DestinationEncryptionAlgorithm.Value);
        Assert.Equal("SYMMETRIC_DEFAULT", toRsa.SourceEncryptionAlgorithm.Value);
        Assert.Equal(plaintext, await DecryptAsync(rsaKey.KeyId, toRsa.CiphertextBlob.ToArray(), "RSAES_OAEP_SHA_256"));

        var back = await _kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = toRsa.CiphertextBlob, SourceKeyId = rsaKey.Arn, SourceEncryptionAlgorithm = "RSAES_OAEP_SHA_256",
            DestinationKeyId = symmetric.KeyId, DestinationEncryptionContext = context,
        });
        Assert.Equal(rsaKey.Arn, back.SourceKeyId);
        var decrypted = await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = back.CiphertextBlob, EncryptionContext = context });
        Assert.Equal(plaintext, decrypted.Plaintext.ToArray());
    }
}
