using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Client bytes that the platform's parsers choke on in ways other than CryptographicException get the AWS error of
/// their member, never KMSInternalException: keys on a curve the platform does not know, key-wrap parts of a length the
/// algorithm cannot have.
/// </summary>
public sealed class HostileInputTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    // prime256v1 (1.2.840.10045.3.1.7) and an OID of the same length that names no curve (1.2.840.10045.3.1.99).
    private static readonly byte[] P256Oid = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    private static readonly byte[] UnknownCurveOid = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x63];

    private readonly AmazonKeyManagementServiceClient _kms = server.Client();

    public void Dispose() => _kms.Dispose();

    [Fact]
    public async Task DeriveSharedSecret_with_a_peer_key_on_an_unknown_curve_is_a_validation_error()
    {
        var key = (await _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.ECC_NIST_P256, KeyUsage = KeyUsageType.KEY_AGREEMENT })).KeyMetadata.KeyId;
        using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var spki = OnUnknownCurve(peer.ExportSubjectPublicKeyInfo());
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
            { KeyId = key, KeyAgreementAlgorithm = KeyAgreementAlgorithmSpec.ECDH, PublicKey = new MemoryStream(spki) }));
        Assert.Equal("ValidationException", e.ErrorCode);
    }

    [Fact]
    public async Task Imported_material_on_an_unknown_curve_is_incorrect_key_material()
    {
        var key = (await _kms.CreateKeyAsync(new CreateKeyRequest
            { KeySpec = KeySpec.ECC_NIST_P256, KeyUsage = KeyUsageType.SIGN_VERIFY, Origin = OriginType.EXTERNAL })).KeyMetadata.KeyId;
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pkcs8 = OnUnknownCurve(ec.ExportPkcs8PrivateKey());
        var parameters = await Parameters(key, AlgorithmSpec.RSA_AES_KEY_WRAP_SHA_256);
        await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() => Import(key, parameters, KeyWrap(parameters, pkcs8)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(23)]
    public async Task A_key_wrap_part_of_a_length_key_wrap_cannot_have_is_invalid_ciphertext(int length)
    {
        var key = (await _kms.CreateKeyAsync(new CreateKeyRequest { Origin = OriginType.EXTERNAL })).KeyMetadata.KeyId;
        var parameters = await Parameters(key, AlgorithmSpec.RSA_AES_KEY_WRAP_SHA_256);
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(parameters.PublicKey.ToArray(), out _);
        byte[] wrapped = [.. rsa.Encrypt(RandomNumberGenerator.GetBytes(32), RSAEncryptionPadding.OaepSHA256), .. RandomNumberGenerator.GetBytes(length)];
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => Import(key, parameters, wrapped));
    }

    /// <summary>A caller that names a Recipient asked for no plaintext in the clear: every operation that has one refuses it.</summary>
    [Fact]
    public async Task A_recipient_is_refused_by_every_operation_that_takes_one()
    {
        var symmetric = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var agreement = (await _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.ECC_NIST_P256, KeyUsage = KeyUsageType.KEY_AGREEMENT })).KeyMetadata.KeyId;
        var blob = Convert.ToBase64String((await _kms.EncryptAsync(new EncryptRequest { KeyId = symmetric, Plaintext = new MemoryStream([1]) })).CiphertextBlob.ToArray());
        using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var peerKey = Convert.ToBase64String(peer.ExportSubjectPublicKeyInfo());
        const string Recipient = "\"Recipient\":{\"KeyEncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\",\"AttestationDocument\":\"AQID\"}";
        using var raw = new RawClient(server.Url);
        foreach (var (operation, body) in new[]
        {
            ("Decrypt", $"{{\"CiphertextBlob\":\"{blob}\",{Recipient}}}"),
            ("GenerateDataKey", $"{{\"KeyId\":\"{symmetric}\",\"KeySpec\":\"AES_256\",{Recipient}}}"),
            ("GenerateRandom", $"{{\"NumberOfBytes\":16,{Recipient}}}"),
            ("GenerateDataKeyPair", $"{{\"KeyId\":\"{symmetric}\",\"KeyPairSpec\":\"ECC_NIST_P256\",{Recipient}}}"),
            ("DeriveSharedSecret", $"{{\"KeyId\":\"{agreement}\",\"KeyAgreementAlgorithm\":\"ECDH\",\"PublicKey\":\"{peerKey}\",{Recipient}}}"),
        })
        {
            var reply = await raw.SendAsync(operation, body);
            Assert.True(reply.Type == "UnsupportedOperationException", $"{operation}: {reply.Status} {reply.Raw}");
            Assert.DoesNotContain("Plaintext", reply.Raw, StringComparison.Ordinal);
        }
    }

    private static byte[] OnUnknownCurve(byte[] der)
    {
        var at = der.AsSpan().IndexOf(P256Oid);
        Assert.True(at >= 0, "the DER names P-256");
        var changed = der.ToArray();
        UnknownCurveOid.CopyTo(changed, at);
        return changed;
    }

    private Task<GetParametersForImportResponse> Parameters(string key, AlgorithmSpec algorithm) =>
        _kms.GetParametersForImportAsync(new GetParametersForImportRequest { KeyId = key, WrappingAlgorithm = algorithm, WrappingKeySpec = WrappingKeySpec.RSA_2048 });

    private static byte[] KeyWrap(GetParametersForImportResponse parameters, byte[] material)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(parameters.PublicKey.ToArray(), out _);
        var aesKey = RandomNumberGenerator.GetBytes(32);
        using var aes = Aes.Create();
        aes.Key = aesKey;
        return [.. rsa.Encrypt(aesKey, RSAEncryptionPadding.OaepSHA256), .. aes.EncryptKeyWrapPadded(material)];
    }

    private Task<ImportKeyMaterialResponse> Import(string key, GetParametersForImportResponse parameters, byte[] wrapped) =>
        _kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key, ImportToken = new MemoryStream(parameters.ImportToken.ToArray()), EncryptedKeyMaterial = new MemoryStream(wrapped),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
        });
}
