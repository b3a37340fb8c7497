using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>Sign, Verify and GetPublicKey with the AWS SDK for .NET, for every signing spec and algorithm.</summary>
[Collection(ServerCollection.Name)]
public sealed class SigningTests(ServerFixture server)
{
    private readonly AmazonKeyManagementServiceClient _kms = server.Client();

    public static TheoryData<string, string, string> SigningCases()
    {
        var data = new TheoryData<string, string, string>();
        string[] rsa = ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
            "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"];
        foreach (var spec in new[] { "RSA_2048", "RSA_3072", "RSA_4096" })
            foreach (var alg in rsa)
                foreach (var type in new[] { "RAW", "DIGEST" }) data.Add(spec, alg, type);
        foreach (var (spec, alg) in new[] { ("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"),
                     ("ECC_NIST_P521", "ECDSA_SHA_512"), ("ECC_SECG_P256K1", "ECDSA_SHA_256") })
            foreach (var type in new[] { "RAW", "DIGEST" }) data.Add(spec, alg, type);
        return data;
    }

    internal static HashAlgorithmName HashOf(string algorithm) =>
        algorithm.EndsWith("256", StringComparison.Ordinal) ? HashAlgorithmName.SHA256
        : algorithm.EndsWith("384", StringComparison.Ordinal) ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA512;

    [Theory]
    [MemberData(nameof(SigningCases))]
    public async Task Signatures_verify_in_Keyward_and_with_the_BCL_and_a_changed_message_does_not(string spec, string algorithm, string messageType)
    {
        var key = await SharedKeys.GetAsync(server, spec, "SIGN_VERIFY");
        var message = System.Text.Encoding.UTF8.GetBytes($"transfer 100 to {spec}/{algorithm}");
        var hash = HashOf(algorithm);
        var input = messageType == "RAW" ? message : HashData(hash, message);

        var signed = await _kms.SignAsync(new SignRequest
        {
            KeyId = key.KeyId, Message = new MemoryStream(input), MessageType = messageType, SigningAlgorithm = algorithm,
        });
        Assert.Equal(key.Arn, signed.KeyId);
        Assert.Equal(algorithm, signed.SigningAlgorithm.Value);
        var signature = signed.Signature.ToArray();

        var verified = await _kms.VerifyAsync(new VerifyRequest
        {
            KeyId = key.KeyId, Message = new MemoryStream(input), MessageType = messageType, SigningAlgorithm = algorithm,
            Signature = new MemoryStream(signature),
        });
        Assert.True(verified.SignatureValid);

        // The same signature checked outside Keyward with the exported public key.
        var publicKey = (await _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId })).PublicKey.ToArray();
        var digest = HashData(hash, message);
        if (spec.StartsWith("ECC", StringComparison.Ordinal))
        {
            using var ec = ECDsa.Create();
            ec.ImportSubjectPublicKeyInfo(publicKey, out _);
            Assert.True(ec.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence));
        }
        else
        {
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(publicKey, out _);
            Assert.Equal(int.Parse(spec[4..]) / 8, signature.Length);
            var padding = algorithm.Contains("PSS") ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
            Assert.True(rsa.VerifyHash(digest, signature, hash, padding));
        }

        var changed = (byte[])input.Clone();
        changed[0] ^= 1;
        var e = await Assert.ThrowsAsync<KMSInvalidSignatureException>(() => _kms.VerifyAsync(new VerifyRequest
        {
            KeyId = key.KeyId, Message = new MemoryStream(changed), MessageType = messageType, SigningAlgorithm = algorithm,
            Signature = new MemoryStream(signature),
        }));
        Assert.Equal("KMSInvalidSignatureException", e.ErrorCode);
    }

    private static byte[] HashData(HashAlgorithmName hash, byte[] data) =>
        hash == HashAlgorithmName.SHA256 ? SHA256.HashData(data) : hash == HashAlgorithmName.SHA384 ? SHA384.HashData(data) : SHA512.HashData(data);

    [Theory]
    [InlineData("RSA_2048", "SIGN_VERIFY", 2048)]
    [InlineData("RSA_3072", "ENCRYPT_DECRYPT", 3072)]
    [InlineData("RSA_4096", "SIGN_VERIFY", 4096)]
    public async Task GetPublicKey_returns_an_RSA_SubjectPublicKeyInfo_with_the_algorithm_lists(string spec, string usage, int bits)
    {
        var key = await SharedKeys.GetAsync(server, spec, usage);
        var reply = await _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.Arn });
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(reply.PublicKey.ToArray(), out var read);
        Assert.Equal(reply.PublicKey.Length, read);
        Assert.Equal(bits, rsa.KeySize);
        Assert.Equal(65537, new System.Numerics.BigInteger(rsa.ExportParameters(false).Exponent, isUnsigned: true, isBigEndian: true));
        Assert.Equal(spec, reply.KeySpec.Value);
#pragma warning disable CS0618 // the deprecated twin of KeySpec must still be sent
        Assert.Equal(spec, reply.CustomerMasterKeySpec.Value);
#pragma warning restore CS0618
        Assert.Equal(usage, reply.KeyUsage.Value);
        Assert.Equal(key.Arn, reply.KeyId);
        if (usage == "SIGN_VERIFY")
        {
            Assert.Equal(["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
                "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"], reply.SigningAlgorithms);
            Assert.Null(reply.EncryptionAlgorithms);
        }
        else
        {
            Assert.Equal(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"], reply.EncryptionAlgorithms);
            Assert.Null(reply.SigningAlgorithms);
        }
    }

    [Theory]
    [InlineData("ECC_NIST_P256", "SIGN_VERIFY", "1.2.840.10045.3.1.7", "ECDSA_SHA_256")]
    [InlineData("ECC_NIST_P384", "SIGN_VERIFY", "1.3.132.0.34", "ECDSA_SHA_384")]
    [InlineData("ECC_NIST_P521", "KEY_AGREEMENT", "1.3.132.0.35", null)]
    [InlineData("ECC_SECG_P256K1", "SIGN_VERIFY", "1.3.132.0.10", "ECDSA_SHA_256")]
    public async Task GetPublicKey_and_DescribeKey_report_ECC_keys_as_AWS_does(string spec, string usage, string curveOid, string? signing)
    {
        var key = await SharedKeys.GetAsync(server, spec, usage);
        var reply = await _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId });
        using var ec = ECDiffieHellman.Create();
        ec.ImportSubjectPublicKeyInfo(reply.PublicKey.ToArray(), out _);
        Assert.Equal(curveOid, ec.ExportParameters(false).Curve.Oid.Value);

        var described = (await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId })).KeyMetadata;
        Assert.Equal(spec, described.KeySpec.Value);
        Assert.Equal(usage, described.KeyUsage.Value);
        Assert.Null(described.EncryptionAlgorithms);
        Assert.Null(described.MacAlgorithms);
        Assert.Null(described.CurrentKeyMaterialId);
        if (signing is null)
        {
            Assert.Equal(["ECDH"], described.KeyAgreementAlgorithms);
            Assert.Equal(["ECDH"], reply.KeyAgreementAlgorithms);
            Assert.Null(described.SigningAlgorithms);
        }
        else
        {
            Assert.Equal([signing], described.SigningAlgorithms);
            Assert.Null(described.KeyAgreementAlgorithms);
        }
    }

    [Theory]
    [InlineData("ECC_NIST_P256", "ECDSA_SHA_384")]
    [InlineData("ECC_SECG_P256K1", "RSASSA_PSS_SHA_256")]
    [InlineData("RSA_2048", "ECDSA_SHA_256")]
    public async Task An_algorithm_the_spec_does_not_support_is_InvalidKeyUsage(string spec, string algorithm)
    {
        var key = await SharedKeys.GetAsync(server, spec, "SIGN_VERIFY");
        var e = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.SignAsync(new SignRequest
        {
            KeyId = key.KeyId, Message = new MemoryStream([1]), SigningAlgorithm = algorithm,
        }));
        Assert.Equal($"Algorithm {algorithm} is incompatible with key spec {spec}.", e.Message);
    }

    [Theory]
    [InlineData("ECDSA_SHA_256", 31)]
    [InlineData("ECDSA_SHA_256", 33)]
    [InlineData("ECDSA_SHA_256", 64)]
    public async Task A_DIGEST_of_the_wrong_length_is_a_ValidationException(string algorithm, int length)
    {
        var key = await SharedKeys.GetAsync(server, "ECC_NIST_P256", "SIGN_VERIFY");
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.SignAsync(new SignRequest
        {
            KeyId = key.KeyId, Message = new MemoryStream(new byte[length]), MessageType = "DIGEST", SigningAlgorithm = algorithm,
        }));
        Assert.Equal("ValidationException", e.ErrorCode);
        Assert.Equal($"Digest is invalid length for algorithm {algorithm}.", e.Message);
    }

    [Fact]
    public async Task Messages_up_to_4096_bytes_sign_and_longer_ones_are_rejected()
    {
        var key = await SharedKeys.GetAsync(server, "ECC_NIST_P256", "SIGN_VERIFY");
        var ok = await _kms.SignAsync(new SignRequest { KeyId = key.KeyId, Message = new MemoryStream(new byte[4096]), SigningAlgorithm = "ECDSA_SHA_256" });
        Assert.NotEmpty(ok.Signature.ToArray());
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            _kms.SignAsync(new SignRequest { KeyId = key.KeyId, Message = new MemoryStream(new byte[4097]), SigningAlgorithm = "ECDSA_SHA_256" }));
        Assert.Equal("ValidationException", e.ErrorCode);
        Assert.Contains("'message' failed to satisfy constraint: Member must have length less than or equal to 4096", e.Message);
    }

    [Fact]
    public async Task ECDSA_signatures_are_randomized_and_a_garbage_signature_is_simply_invalid()
    {
        var key = await SharedKeys.GetAsync(server, "ECC_NIST_P384", "SIGN_VERIFY");
        var request = () => new SignRequest { KeyId = key.KeyId, Message = new MemoryStream([7, 7, 7]), SigningAlgorithm = "ECDSA_SHA_384" };
        var a = (await _kms.SignAsync(request())).Signature.ToArray();
        var b = (await _kms.SignAsync(request())).Signature.ToArray();
        Assert.NotEqual(a, b);
        Assert.Equal(0x30, a[0]); // DER SEQUENCE, not IEEE P1363 r||s
        await Assert.ThrowsAsync<KMSInvalidSignatureException>(() => _kms.VerifyAsync(new VerifyRequest
        {
            KeyId = key.KeyId, Message = new MemoryStream([7, 7, 7]), SigningAlgorithm = "ECDSA_SHA_384", Signature = new MemoryStream([0x30, 0x03, 0x02, 0x01, 0x00]),
        }));
    }

    [Fact]
    public async Task Keys_that_are_not_SIGN_VERIFY_cannot_sign_and_symmetric_keys_have_no_public_key()
    {
        var rsaEncrypt = await SharedKeys.GetAsync(server, "RSA_2048", "ENCRYPT_DECRYPT");
        var e = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.SignAsync(new SignRequest
        {
            KeyId = rsaEncrypt.KeyId, Message = new MemoryStream([1]), SigningAlgorithm = "RSASSA_PSS_SHA_256",
        }));
        Assert.Equal($"{rsaEncrypt.Arn} key usage is ENCRYPT_DECRYPT which is not valid for Sign.", e.Message);

        var hmac = await SharedKeys.GetAsync(server, "HMAC_256", "GENERATE_VERIFY_MAC");
        e = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.VerifyAsync(new VerifyRequest
        {
            KeyId = hmac.KeyId, Message = new MemoryStream([1]), SigningAlgorithm = "ECDSA_SHA_256", Signature = new MemoryStream([1]),
        }));
        Assert.Equal($"{hmac.Arn} key usage is GENERATE_VERIFY_MAC which is not valid for Verify.", e.Message);

        var symmetric = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = symmetric.KeyId }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = hmac.KeyId }));
    }

    [Fact]
    public async Task A_disabled_or_pending_deletion_signing_key_answers_with_its_state()
    {
        var key = (await _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "ECC_NIST_P256", KeyUsage = "SIGN_VERIFY" })).KeyMetadata;
        await _kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });
        var sign = () => _kms.SignAsync(new SignRequest { KeyId = key.KeyId, Message = new MemoryStream([1]), SigningAlgorithm = "ECDSA_SHA_256" });
        Assert.Equal($"{key.Arn} is disabled.", (await Assert.ThrowsAsync<DisabledException>(sign)).Message);
        await Assert.ThrowsAsync<DisabledException>(() => _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId }));
        await _kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 });
        Assert.Equal($"{key.Arn} is pending deletion.", (await Assert.ThrowsAsync<KMSInvalidStateException>(sign)).Message);
    }

    [Fact]
    public async Task DryRun_checks_everything_and_signs_nothing()
    {
        var key = await SharedKeys.GetAsync(server, "ECC_NIST_P256", "SIGN_VERIFY");
        await Assert.ThrowsAsync<DryRunOperationException>(() => _kms.SignAsync(new SignRequest
        {
            KeyId = key.KeyId, Message = new MemoryStream([1]), SigningAlgorithm = "ECDSA_SHA_256", DryRun = true,
        }));
    }
}
