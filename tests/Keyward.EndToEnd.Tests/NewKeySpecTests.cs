using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;
using static Keyward.EndToEnd.Tests.Infrastructure.Noble;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Ed25519, ML-DSA and ML-KEM keys through the AWS SDK for .NET 4.1: every spec × algorithm × message type, checked by
/// the noble libraries (an implementation that shares nothing with Keyward's BouncyCastle), tampering refused, and the
/// rules AWS documents for message types, usages and algorithms.
/// </summary>
public sealed class NewKeySpecTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly AmazonKeyManagementServiceClient _kms = server.Client();
    private static readonly byte[] Message = "a message signed by a post-quantum key"u8.ToArray();

    private async Task<KeyMetadata> CreateAsync(string spec, string usage) =>
        (await _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = spec, KeyUsage = usage })).KeyMetadata;

    private async Task<byte[]> PublicKeyAsync(string keyId) =>
        (await _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = keyId })).PublicKey.ToArray();

    private async Task<byte[]> SignAsync(string keyId, byte[] message, string algorithm, string messageType) =>
        (await _kms.SignAsync(new SignRequest
        {
            KeyId = keyId, Message = new MemoryStream(message), SigningAlgorithm = algorithm, MessageType = messageType,
        })).Signature.ToArray();

    private Task<VerifyResponse> VerifyAsync(string keyId, byte[] message, byte[] signature, string algorithm, string messageType) =>
        _kms.VerifyAsync(new VerifyRequest
        {
            KeyId = keyId, Message = new MemoryStream(message), Signature = new MemoryStream(signature),
            SigningAlgorithm = algorithm, MessageType = messageType,
        });

    private static byte[] Tampered(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        copy[copy.Length / 2] ^= 0x01;
        return copy;
    }

    [Fact]
    public async Task Ed25519_signs_pure_and_prehashed_as_RFC_8032_says_and_noble_verifies_both()
    {
        var key = await CreateAsync("ECC_NIST_EDWARDS25519", "SIGN_VERIFY");
        Assert.Equal(["ED25519_SHA_512", "ED25519_PH_SHA_512"], key.SigningAlgorithms);
        var publicKey = await PublicKeyAsync(key.KeyId);
        Assert.Equal(44, publicKey.Length); // RFC 8410 SubjectPublicKeyInfo
        Assert.Equal("302a300506032b6570032100", Convert.ToHexStringLower(publicKey[..12]));

        var pure = await SignAsync(key.KeyId, Message, "ED25519_SHA_512", "RAW");
        Assert.Equal(64, pure.Length);
        Assert.True(await VerifiesAsync(new JsonObject
            { ["op"] = "ed25519-verify", ["publicKey"] = B64(publicKey), ["message"] = B64(Message), ["signature"] = B64(pure) }));
        // Pure Ed25519 is deterministic: the same message signs the same way (RFC 8032 §5.1.6).
        Assert.Equal(pure, await SignAsync(key.KeyId, Message, "ED25519_SHA_512", "RAW"));

        // ED25519_PH_SHA_512 takes the SHA-512 digest of the message; noble computes it from the message itself.
        var digest = SHA512.HashData(Message);
        var prehashed = await SignAsync(key.KeyId, digest, "ED25519_PH_SHA_512", "DIGEST");
        Assert.NotEqual(pure, prehashed);
        Assert.True(await VerifiesAsync(new JsonObject
            { ["op"] = "ed25519ph-verify", ["publicKey"] = B64(publicKey), ["message"] = B64(Message), ["signature"] = B64(prehashed) }));

        Assert.True((await VerifyAsync(key.KeyId, Message, pure, "ED25519_SHA_512", "RAW")).SignatureValid);
        Assert.True((await VerifyAsync(key.KeyId, digest, prehashed, "ED25519_PH_SHA_512", "DIGEST")).SignatureValid);
        await Assert.ThrowsAsync<KMSInvalidSignatureException>(() => VerifyAsync(key.KeyId, Message, Tampered(pure), "ED25519_SHA_512", "RAW"));
        await Assert.ThrowsAsync<KMSInvalidSignatureException>(() => VerifyAsync(key.KeyId, Tampered(Message), pure, "ED25519_SHA_512", "RAW"));
        await Assert.ThrowsAsync<KMSInvalidSignatureException>(() => VerifyAsync(key.KeyId, digest, pure, "ED25519_PH_SHA_512", "DIGEST"));
        Assert.False(await VerifiesAsync(new JsonObject
            { ["op"] = "ed25519-verify", ["publicKey"] = B64(publicKey), ["message"] = B64(Message), ["signature"] = B64(Tampered(pure)) }));
    }

    [Theory]
    [InlineData("ED25519_SHA_512", "DIGEST", 64)]
    [InlineData("ED25519_SHA_512", "EXTERNAL_MU", 64)]
    [InlineData("ED25519_PH_SHA_512", "RAW", 64)]
    [InlineData("ED25519_PH_SHA_512", "EXTERNAL_MU", 64)]
    public async Task Ed25519_algorithms_take_only_their_message_type(string algorithm, string messageType, int length)
    {
        var key = await CreateAsync("ECC_NIST_EDWARDS25519", "SIGN_VERIFY");
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => SignAsync(key.KeyId, new byte[length], algorithm, messageType));
        Assert.Equal("ValidationException", e.ErrorCode);
        Assert.Equal($"MessageType {messageType} is not valid for signing algorithm {algorithm}.", e.Message);
    }

    [Fact]
    public async Task Ed25519ph_needs_a_64_byte_digest()
    {
        var key = await CreateAsync("ECC_NIST_EDWARDS25519", "SIGN_VERIFY");
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => SignAsync(key.KeyId, new byte[32], "ED25519_PH_SHA_512", "DIGEST"));
        Assert.Equal(("ValidationException", "Digest is invalid length for algorithm ED25519_PH_SHA_512."), (e.ErrorCode, e.Message));
    }

    [Theory]
    [InlineData("ML_DSA_44", 44, 1312, 2420)]
    [InlineData("ML_DSA_65", 65, 1952, 3309)]
    [InlineData("ML_DSA_87", 87, 2592, 4627)]
    public async Task ML_DSA_signs_raw_messages_as_FIPS_204_says_and_noble_verifies(string spec, int level, int publicKeyBytes, int signatureBytes)
    {
        var key = await CreateAsync(spec, "SIGN_VERIFY");
        Assert.Equal(["ML_DSA_SHAKE_256"], key.SigningAlgorithms);
        var publicKey = await PublicKeyAsync(key.KeyId);
        Assert.True(publicKey.Length > publicKeyBytes && publicKey.Length < publicKeyBytes + 32); // SPKI around the raw key

        var signature = await SignAsync(key.KeyId, Message, "ML_DSA_SHAKE_256", "RAW");
        Assert.Equal(signatureBytes, signature.Length);
        var checks = await RunAsync(
            new JsonObject { ["op"] = "mldsa-verify", ["level"] = level, ["publicKey"] = B64(publicKey), ["message"] = B64(Message), ["signature"] = B64(signature) },
            new JsonObject { ["op"] = "mldsa-verify", ["level"] = level, ["publicKey"] = B64(publicKey), ["message"] = B64(Tampered(Message)), ["signature"] = B64(signature) },
            new JsonObject { ["op"] = "mldsa-verify", ["level"] = level, ["publicKey"] = B64(publicKey), ["message"] = B64(Message), ["signature"] = B64(Tampered(signature)) });
        Assert.Equal([true, false, false], checks.Select(c => c.GetProperty("valid").GetBoolean()));
        // Hedged signing: two signatures of one message differ, and both verify.
        var again = await SignAsync(key.KeyId, Message, "ML_DSA_SHAKE_256", "RAW");
        Assert.NotEqual(signature, again);
        Assert.True((await VerifyAsync(key.KeyId, Message, again, "ML_DSA_SHAKE_256", "RAW")).SignatureValid);
        await Assert.ThrowsAsync<KMSInvalidSignatureException>(() => VerifyAsync(key.KeyId, Message, Tampered(signature), "ML_DSA_SHAKE_256", "RAW"));
    }

    [Fact]
    public async Task ML_DSA_refuses_DIGEST_and_a_mu_of_the_wrong_length_and_Keyward_does_not_sign_an_external_mu()
    {
        var key = await CreateAsync("ML_DSA_65", "SIGN_VERIFY");
        var digest = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => SignAsync(key.KeyId, new byte[64], "ML_DSA_SHAKE_256", "DIGEST"));
        Assert.Equal("ValidationException", digest.ErrorCode);
        var shortMu = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => SignAsync(key.KeyId, new byte[32], "ML_DSA_SHAKE_256", "EXTERNAL_MU"));
        Assert.Equal("ValidationException", shortMu.ErrorCode);
        // No library here signs from an external μ (BouncyCastle keeps ML-DSA's internal sign private): refused, not faked.
        var mu = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => SignAsync(key.KeyId, new byte[64], "ML_DSA_SHAKE_256", "EXTERNAL_MU"));
        Assert.Equal(("ValidationException", "This server does not sign or verify an EXTERNAL_MU message; use MessageType RAW with ML_DSA_SHAKE_256."),
            (mu.ErrorCode, mu.Message));
    }

    [Theory]
    [InlineData("ML_KEM_512", 512, 768)]
    [InlineData("ML_KEM_768", 768, 1088)]
    [InlineData("ML_KEM_1024", 1024, 1568)]
    public async Task ML_KEM_decapsulates_what_noble_encapsulates_and_its_own_encapsulations(string spec, int level, int ciphertextBytes)
    {
        var key = await CreateAsync(spec, "ENCAPSULATE_DECAPSULATE");
        Assert.Equal(["ML_KEM"], key.EncapsulationAlgorithms);
        Assert.True(key.SigningAlgorithms is null or { Count: 0 });
        var publicKey = await _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId });
        Assert.Equal(["ML_KEM"], publicKey.EncapsulationAlgorithms);

        // noble encapsulates to the public key GetPublicKey gives; Keyward's Decapsulate recovers the same secret.
        var noble = (await RunAsync(new JsonObject { ["op"] = "mlkem-encapsulate", ["level"] = level, ["publicKey"] = B64(publicKey.PublicKey.ToArray()) }))[0];
        var decapsulated = await _kms.DecapsulateAsync(new DecapsulateRequest
        {
            KeyId = key.KeyId, EncapsulationAlgorithm = "ML_KEM", SharedSecretCiphertextBlob = new MemoryStream(Bytes(noble, "cipherText")),
        });
        Assert.Equal(Bytes(noble, "sharedSecret"), decapsulated.SharedSecret.ToArray());
        Assert.Equal(key.Arn, decapsulated.KeyId);

        var encapsulated = await _kms.EncapsulateAsync(new EncapsulateRequest { KeyId = key.KeyId, EncapsulationAlgorithm = "ML_KEM" });
        Assert.Equal(32, encapsulated.SharedSecret.Length);
        Assert.Equal(ciphertextBytes, encapsulated.SharedSecretCiphertextBlob.Length);
        var back = await _kms.DecapsulateAsync(new DecapsulateRequest
        {
            KeyId = key.KeyId, EncapsulationAlgorithm = "ML_KEM", SharedSecretCiphertextBlob = new MemoryStream(encapsulated.SharedSecretCiphertextBlob.ToArray()),
        });
        Assert.Equal(encapsulated.SharedSecret.ToArray(), back.SharedSecret.ToArray());

        // A changed encapsulation gives another secret (FIPS 203's implicit rejection), never the right one or an error.
        var tampered = await _kms.DecapsulateAsync(new DecapsulateRequest
        {
            KeyId = key.KeyId, EncapsulationAlgorithm = "ML_KEM", SharedSecretCiphertextBlob = new MemoryStream(Tampered(encapsulated.SharedSecretCiphertextBlob.ToArray())),
        });
        Assert.NotEqual(encapsulated.SharedSecret.ToArray(), tampered.SharedSecret.ToArray());
        // One of another length is no encapsulation under this key.
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => _kms.DecapsulateAsync(new DecapsulateRequest
        {
            KeyId = key.KeyId, EncapsulationAlgorithm = "ML_KEM", SharedSecretCiphertextBlob = new MemoryStream(new byte[ciphertextBytes - 1]),
        }));
    }

    [Theory]
    [InlineData("ECC_NIST_EDWARDS25519")]
    [InlineData("ML_KEM_768")]
    public async Task Data_key_pairs_of_the_new_specs_are_PKCS8_that_noble_reads(string pairSpec)
    {
        var key = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var pair = await _kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = key.KeyId, KeyPairSpec = pairSpec });
        var privateKey = pair.PrivateKeyPlaintext.ToArray();
        var publicKey = pair.PublicKey.ToArray();
        Assert.Equal(privateKey, (await _kms.DecryptAsync(new DecryptRequest { CiphertextBlob = pair.PrivateKeyCiphertextBlob })).Plaintext.ToArray());
        if (pairSpec == "ML_KEM_768")
        {
            // noble derives the key pair from the PKCS#8's seed: the same public key; and it decapsulates what it encapsulated.
            var results = await RunAsync(
                new JsonObject { ["op"] = "mlkem-keypair", ["level"] = 768, ["privateKey"] = B64(privateKey) },
                new JsonObject { ["op"] = "mlkem-encapsulate", ["level"] = 768, ["publicKey"] = B64(publicKey) });
            Assert.Equal(Bytes(results[0], "publicKey"), publicKey[^1184..]);
            var decapsulated = (await RunAsync(new JsonObject
                { ["op"] = "mlkem-decapsulate", ["level"] = 768, ["privateKey"] = B64(privateKey), ["cipherText"] = results[1].GetProperty("cipherText").GetString() }))[0];
            Assert.Equal(Bytes(results[1], "sharedSecret"), Bytes(decapsulated, "sharedSecret"));
            return;
        }
        // Ed25519: RFC 8410's 48-byte PKCS#8, which openssl reads and derives the same public key from.
        Assert.Equal(48, privateKey.Length);
        var dir = Directory.CreateTempSubdirectory("keyward-ed25519").FullName;
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(dir, "key.der"), privateKey);
            var openssl = Environment.GetEnvironmentVariable("KEYWARD_OPENSSL") ?? "/usr/bin/openssl";
            var (code, _, stderr) = await ExternalProcess.RunAsync(openssl,
                ["pkey", "-inform", "DER", "-in", "key.der", "-pubout", "-outform", "DER", "-out", "pub.der"], workingDirectory: dir);
            Assert.True(code == 0, stderr);
            Assert.Equal(publicKey, await File.ReadAllBytesAsync(Path.Combine(dir, "pub.der")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("ML_DSA_65", "ENCRYPT_DECRYPT")]
    [InlineData("ML_DSA_65", "ENCAPSULATE_DECAPSULATE")]
    [InlineData("ECC_NIST_EDWARDS25519", "KEY_AGREEMENT")]
    [InlineData("ML_KEM_768", "SIGN_VERIFY")]
    [InlineData("ECC_NIST_P256", "ENCAPSULATE_DECAPSULATE")]
    [InlineData("SYMMETRIC_DEFAULT", "ENCAPSULATE_DECAPSULATE")]
    public async Task A_usage_the_new_specs_do_not_allow_is_a_ValidationException(string spec, string usage)
    {
        var e = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => _kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = spec, KeyUsage = usage }));
        Assert.Equal(("ValidationException", $"KeyUsage {usage} is not compatible with KeySpec {spec}"), (e.ErrorCode, e.Message));
    }

    [Fact]
    public async Task Wrong_keys_and_algorithms_get_AWS_s_errors()
    {
        var ed = await CreateAsync("ECC_NIST_EDWARDS25519", "SIGN_VERIFY");
        var kem = await CreateAsync("ML_KEM_512", "ENCAPSULATE_DECAPSULATE");
        var symmetric = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        // An algorithm of another spec.
        var ecdsa = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => SignAsync(ed.KeyId, Message, "ECDSA_SHA_256", "RAW"));
        Assert.Equal("Algorithm ECDSA_SHA_256 is incompatible with key spec ECC_NIST_EDWARDS25519.", ecdsa.Message);
        await Assert.ThrowsAsync<InvalidKeyUsageException>(() => SignAsync(ed.KeyId, Message, "ML_DSA_SHAKE_256", "RAW"));
        // Encapsulate and Decapsulate on keys that are not ML-KEM; Sign on an ML-KEM key.
        await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.EncapsulateAsync(new EncapsulateRequest { KeyId = symmetric.KeyId, EncapsulationAlgorithm = "ML_KEM" }));
        await Assert.ThrowsAsync<InvalidKeyUsageException>(() => _kms.DecapsulateAsync(new DecapsulateRequest
            { KeyId = ed.KeyId, EncapsulationAlgorithm = "ML_KEM", SharedSecretCiphertextBlob = new MemoryStream(new byte[768]) }));
        await Assert.ThrowsAsync<InvalidKeyUsageException>(() => SignAsync(kem.KeyId, Message, "ML_DSA_SHAKE_256", "RAW"));
        // A disabled key; DryRun; a missing algorithm.
        await _kms.DisableKeyAsync(new DisableKeyRequest { KeyId = kem.KeyId });
        await Assert.ThrowsAsync<DisabledException>(() => _kms.EncapsulateAsync(new EncapsulateRequest { KeyId = kem.KeyId, EncapsulationAlgorithm = "ML_KEM" }));
        await _kms.EnableKeyAsync(new EnableKeyRequest { KeyId = kem.KeyId });
        await Assert.ThrowsAsync<DryRunOperationException>(() => _kms.EncapsulateAsync(new EncapsulateRequest { KeyId = kem.KeyId, EncapsulationAlgorithm = "ML_KEM", DryRun = true }));
        var raw = new RawClient(server.Url);
        var missing = await raw.SendAsync("Encapsulate", $"{{\"KeyId\":\"{kem.KeyId}\"}}");
        Assert.Equal((400, "ValidationException"), (missing.Status, missing.Type));
        var bad = await raw.SendAsync("Decapsulate", $"{{\"KeyId\":\"{kem.KeyId}\",\"EncapsulationAlgorithm\":\"KYBER\",\"SharedSecretCiphertextBlob\":\"AAAA\"}}");
        Assert.Equal((400, "ValidationException"), (bad.Status, bad.Type));
        // Rotation is for symmetric keys; importing material for these specs is not supported here.
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = ed.KeyId }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => _kms.CreateKeyAsync(new CreateKeyRequest
            { KeySpec = "ML_DSA_44", KeyUsage = "SIGN_VERIFY", Origin = OriginType.EXTERNAL }));
    }
}
