using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

[Collection(ServerCollection.Name)]
public sealed class CryptoTests(ServerFixture server)
{
    private readonly AmazonKeyManagementServiceClient _kms = server.Client();

    private async Task<KeyMetadata> NewKeyAsync() => (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;

    private static Dictionary<string, string> Context(params string[] kv)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i < kv.Length; i += 2) d[kv[i]] = kv[i + 1];
        return d;
    }

    private async Task<byte[]> EncryptAsync(string keyId, byte[] plaintext, Dictionary<string, string>? context = null) =>
        (await _kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream(plaintext), EncryptionContext = context })).CiphertextBlob.ToArray();

    [Fact]
    public async Task Encrypt_and_decrypt_round_trip_with_context()
    {
        var key = await NewKeyAsync();
        var plaintext = "card 4111 1111 1111 1111"u8.ToArray();
        var enc = await _kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream(plaintext), EncryptionContext = Context("order", "42", "tenant", "acme") });
        Assert.Equal(key.Arn, enc.KeyId);
        Assert.Equal(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT, enc.EncryptionAlgorithm);
        var blob = enc.CiphertextBlob.ToArray();
        Assert.DoesNotContain("4111", System.Text.Encoding.Latin1.GetString(blob));

        // KeyId is optional for symmetric blobs; pair order does not matter.
        var dec = await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob), EncryptionContext = Context("tenant", "acme", "order", "42") });
        Assert.Equal(plaintext, dec.Plaintext.ToArray());
        Assert.Equal(key.Arn, dec.KeyId);
        Assert.Equal(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT, dec.EncryptionAlgorithm);
        Assert.Equal(key.CurrentKeyMaterialId, dec.KeyMaterialId);
    }

    [Fact]
    public async Task A_missing_or_different_context_is_InvalidCiphertext_with_no_message()
    {
        var key = await NewKeyAsync();
        var blob = await EncryptAsync(key.KeyId, [1, 2, 3], Context("a", "b"));
        foreach (var wrong in new[] { null, Context("a", "B"), Context("A", "b"), Context("a", "b", "c", "d"), Context("ab", "") })
        {
            var e = await Assert.ThrowsAsync<InvalidCiphertextException>(() =>
                _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob), EncryptionContext = wrong }));
            Assert.True(string.IsNullOrEmpty(e.Message) || e.Message.StartsWith("Error unmarshalling", StringComparison.Ordinal) || e.Message == "The service returned an error with Error Code InvalidCiphertextException and HTTP Body: {\"__type\":\"InvalidCiphertextException\"}", e.Message);
        }
        var blob2 = await EncryptAsync(key.KeyId, [1], Context("ab", "c"));
        await Assert.ThrowsAsync<InvalidCiphertextException>(() =>
            _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob2), EncryptionContext = Context("a", "bc") }));
    }

    [Fact]
    public async Task Tampered_or_foreign_blobs_are_InvalidCiphertext()
    {
        var key = await NewKeyAsync();
        var blob = await EncryptAsync(key.KeyId, new byte[100]);
        foreach (var index in new[] { 0, 5, 30, 60, 80, blob.Length - 1 })
        {
            var copy = (byte[])blob.Clone();
            copy[index] ^= 0x40;
            await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(copy) }));
            try { await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(copy) }); }
            catch (AmazonKeyManagementServiceException e) { Assert.Equal("InvalidCiphertextException", e.ErrorCode); }
        }
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(new byte[] { 1, 2, 3 }) }));
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob[..60]) }));
    }

    [Fact]
    public async Task Decrypt_with_the_wrong_KeyId_is_IncorrectKey()
    {
        var a = await NewKeyAsync();
        var b = await NewKeyAsync();
        var alias = "alias/crypto-" + Guid.NewGuid().ToString("N");
        await _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = a.KeyId });
        var blob = await EncryptAsync(alias, [9]);
        Assert.Equal(new byte[] { 9 }, (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob), KeyId = alias })).Plaintext.ToArray());
        Assert.Equal(new byte[] { 9 }, (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob), KeyId = a.Arn })).Plaintext.ToArray());
        var e = await Assert.ThrowsAsync<IncorrectKeyException>(() => _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob), KeyId = b.KeyId }));
        Assert.Equal("The key ID in the request does not identify a CMK that can perform this operation.", e.Message);
    }

    [Fact]
    public async Task Plaintext_size_limits_are_aws_limits()
    {
        var key = await NewKeyAsync();
        var max = await EncryptAsync(key.KeyId, new byte[4096]);
        Assert.Equal(4096, (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(max) })).Plaintext.Length);
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => EncryptAsync(key.KeyId, new byte[4097]));
        Assert.Equal("ValidationException", e.ErrorCode);
        Assert.Equal("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096", e.Message);
    }

    [Fact]
    public async Task ReEncrypt_moves_a_ciphertext_to_another_key_and_context()
    {
        var a = await NewKeyAsync();
        var b = await NewKeyAsync();
        var blob = await EncryptAsync(a.KeyId, [1, 2, 3], Context("v", "1"));
        var re = await _kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = new MemoryStream(blob),
            SourceEncryptionContext = Context("v", "1"),
            DestinationKeyId = b.KeyId,
            DestinationEncryptionContext = Context("v", "2"),
        });
        Assert.Equal(a.Arn, re.SourceKeyId);
        Assert.Equal(b.Arn, re.KeyId);
        var moved = re.CiphertextBlob.ToArray();
        Assert.Equal(new byte[] { 1, 2, 3 }, (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(moved), EncryptionContext = Context("v", "2") })).Plaintext.ToArray());
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => _kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = new MemoryStream(blob), DestinationKeyId = b.KeyId }));
        await Assert.ThrowsAsync<IncorrectKeyException>(() => _kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = new MemoryStream(blob), SourceKeyId = b.KeyId, SourceEncryptionContext = Context("v", "1"), DestinationKeyId = b.KeyId }));
        await _kms.DisableKeyAsync(new DisableKeyRequest { KeyId = b.KeyId });
        await Assert.ThrowsAsync<DisabledException>(() => _kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = new MemoryStream(blob), SourceEncryptionContext = Context("v", "1"), DestinationKeyId = b.KeyId }));
    }

    [Fact]
    public async Task GenerateDataKey_gives_a_key_its_ciphertext_decrypts_to()
    {
        var key = await NewKeyAsync();
        foreach (var (spec, bytes, length) in new (DataKeySpec?, int?, int)[] { (DataKeySpec.AES_256, null, 32), (DataKeySpec.AES_128, null, 16), (null, 1, 1), (null, 1024, 1024) })
        {
            var dk = await _kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = spec, NumberOfBytes = bytes, EncryptionContext = Context("f", "x") });
            Assert.Equal(length, dk.Plaintext.Length);
            Assert.Equal(key.Arn, dk.KeyId);
            var dec = await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = dk.CiphertextBlob, EncryptionContext = Context("f", "x") });
            Assert.Equal(dk.Plaintext.ToArray(), dec.Plaintext.ToArray());
        }
        var without = await _kms.GenerateDataKeyWithoutPlaintextAsync(new GenerateDataKeyWithoutPlaintextRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256 });
        Assert.Equal(32, (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = without.CiphertextBlob })).Plaintext.Length);

        var neither = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId }));
        Assert.Equal("ValidationException", neither.ErrorCode);
        var both = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256, NumberOfBytes = 32 }));
        Assert.Equal("ValidationException", both.ErrorCode);
        var tooMany = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, NumberOfBytes = int.Parse("1025") }));
        Assert.Equal("1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024", tooMany.Message);
    }

    [Fact]
    public async Task GenerateRandom_returns_the_requested_number_of_bytes()
    {
        var a = (await _kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 64 })).Plaintext.ToArray();
        var b = (await _kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 64 })).Plaintext.ToArray();
        Assert.Equal(64, a.Length);
        Assert.NotEqual(a, b);
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.GenerateRandomAsync(new GenerateRandomRequest()));
        Assert.Equal("ValidationException", e.ErrorCode);
        Assert.Equal("NumberOfBytes is required.", e.Message);
        await Assert.ThrowsAsync<CustomKeyStoreNotFoundException>(() => _kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 8, CustomKeyStoreId = "cks-1234567890abcdef0" }));
    }

    [Fact]
    public async Task DryRun_reports_success_without_doing_the_work()
    {
        var key = await NewKeyAsync();
        var e = await Assert.ThrowsAsync<DryRunOperationException>(() => _kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1]), DryRun = true }));
        Assert.Equal("The request would have succeeded, but the DryRun option is set.", e.Message);
        await _kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });
        await Assert.ThrowsAsync<DisabledException>(() => _kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1]), DryRun = true }));
    }

    [Fact]
    public async Task Asymmetric_algorithms_on_a_symmetric_key_are_refused()
    {
        var key = await NewKeyAsync();
        await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId, Plaintext = new MemoryStream([1]), EncryptionAlgorithm = EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256,
        }));
    }
}
