using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>HMAC keys: GenerateMac and VerifyMac through the AWS SDK for .NET.</summary>
[Collection(ServerCollection.Name)]
public sealed class MacTests(ServerFixture server)
{
    private readonly AmazonKeyManagementServiceClient _kms = server.Client();

    [Theory]
    [InlineData("HMAC_224", "HMAC_SHA_224", 28)]
    [InlineData("HMAC_256", "HMAC_SHA_256", 32)]
    [InlineData("HMAC_384", "HMAC_SHA_384", 48)]
    [InlineData("HMAC_512", "HMAC_SHA_512", 64)]
    public async Task Macs_are_deterministic_verify_and_any_change_is_KMSInvalidMac(string spec, string algorithm, int length)
    {
        var key = await SharedKeys.GetAsync(server, spec, "GENERATE_VERIFY_MAC");
        var described = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId })).KeyMetadata;
        Assert.Equal([algorithm], described.MacAlgorithms);
        Assert.Null(described.EncryptionAlgorithms);

        var message = "session=42;user=alice"u8.ToArray();
        var generated = await _kms.GenerateMacAsync(new GenerateMacRequest { KeyId = key.KeyId, Message = new MemoryStream(message), MacAlgorithm = algorithm });
        Assert.Equal(algorithm, generated.MacAlgorithm.Value);
        Assert.Equal(key.Arn, generated.KeyId);
        var mac = generated.Mac.ToArray();
        Assert.Equal(length, mac.Length);
        var again = await _kms.GenerateMacAsync(new GenerateMacRequest { KeyId = key.Arn, Message = new MemoryStream(message), MacAlgorithm = algorithm });
        Assert.Equal(mac, again.Mac.ToArray());

        var verified = await _kms.VerifyMacAsync(new VerifyMacRequest { KeyId = key.KeyId, Message = new MemoryStream(message), MacAlgorithm = algorithm, Mac = new MemoryStream(mac) });
        Assert.True(verified.MacValid);

        var flipped = (byte[])mac.Clone();
        flipped[^1] ^= 1;
        var changedMessage = (byte[])message.Clone();
        changedMessage[0] ^= 1;
        foreach (var (m, tag) in new[] { (message, flipped), (changedMessage, mac), (message, mac[..^1]) })
        {
            var e = await Assert.ThrowsAsync<KMSInvalidMacException>(() => _kms.VerifyMacAsync(new VerifyMacRequest
            {
                KeyId = key.KeyId, Message = new MemoryStream(m), MacAlgorithm = algorithm, Mac = new MemoryStream(tag),
            }));
            Assert.Equal("KMSInvalidMacException", e.ErrorCode);
        }
    }

    [Fact]
    public async Task Different_HMAC_keys_give_different_macs()
    {
        var a = (await _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "HMAC_256", KeyUsage = "GENERATE_VERIFY_MAC" })).KeyMetadata;
        var b = (await _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "HMAC_256", KeyUsage = "GENERATE_VERIFY_MAC" })).KeyMetadata;
        var macA = (await _kms.GenerateMacAsync(new GenerateMacRequest { KeyId = a.KeyId, Message = new MemoryStream([1]), MacAlgorithm = "HMAC_SHA_256" })).Mac.ToArray();
        var macB = (await _kms.GenerateMacAsync(new GenerateMacRequest { KeyId = b.KeyId, Message = new MemoryStream([1]), MacAlgorithm = "HMAC_SHA_256" })).Mac.ToArray();
        Assert.NotEqual(macA, macB);
        await Assert.ThrowsAsync<KMSInvalidMacException>(() => _kms.VerifyMacAsync(new VerifyMacRequest
        {
            KeyId = b.KeyId, Message = new MemoryStream([1]), MacAlgorithm = "HMAC_SHA_256", Mac = new MemoryStream(macA),
        }));
    }

    [Fact]
    public async Task Wrong_algorithm_wrong_usage_and_wrong_state_get_AWS_errors()
    {
        var key = await SharedKeys.GetAsync(server, "HMAC_384", "GENERATE_VERIFY_MAC");
        var e = await Assert.ThrowsAsync<InvalidKeyUsageException>(() =>
            _kms.GenerateMacAsync(new GenerateMacRequest { KeyId = key.KeyId, Message = new MemoryStream([1]), MacAlgorithm = "HMAC_SHA_256" }));
        Assert.Equal("Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_384.", e.Message);

        var symmetric = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        e = await Assert.ThrowsAsync<InvalidKeyUsageException>(() =>
            _kms.GenerateMacAsync(new GenerateMacRequest { KeyId = symmetric.KeyId, Message = new MemoryStream([1]), MacAlgorithm = "HMAC_SHA_256" }));
        Assert.Equal($"{symmetric.Arn} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.", e.Message);
        e = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1]) }));
        Assert.Equal($"{key.Arn} key usage is GENERATE_VERIFY_MAC which is not valid for Encrypt.", e.Message);

        var own = (await _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "HMAC_512", KeyUsage = "GENERATE_VERIFY_MAC" })).KeyMetadata;
        await _kms.DisableKeyAsync(new DisableKeyRequest { KeyId = own.KeyId });
        await Assert.ThrowsAsync<DisabledException>(() =>
            _kms.VerifyMacAsync(new VerifyMacRequest { KeyId = own.KeyId, Message = new MemoryStream([1]), MacAlgorithm = "HMAC_SHA_512", Mac = new MemoryStream(new byte[64]) }));
    }
}
