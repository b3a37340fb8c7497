using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Keyward's asymmetric keys against an independent implementation: the openssl command line
/// (installed by scripts/test). openssl verifies Keyward's signatures with the public key from
/// GetPublicKey, encrypts for Keyward with it, and derives the same ECDH secret from the other side.
/// </summary>
/// <remarks>A server of its own (not the shared collection's), so this slow class runs beside the others.</remarks>
public sealed class OpenSslInteropTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly AmazonKeyManagementServiceClient _kms = server.Client();
    private readonly string _work = Directory.CreateTempSubdirectory("keyward-openssl").FullName;

    private static string OpenSsl => Environment.GetEnvironmentVariable("KEYWARD_OPENSSL") is { Length: > 0 } p ? p : "/usr/bin/openssl";

    private string PathOf(string name) => Path.Combine(_work, name);

    private async Task<string> Run(params string[] args)
    {
        Assert.True(File.Exists(OpenSsl), $"{OpenSsl} is missing: run scripts/test, which installs openssl");
        var (code, stdout, stderr) = await ExternalProcess.RunAsync(OpenSsl, args, workingDirectory: _work);
        Assert.True(code == 0, $"openssl {string.Join(' ', args)} failed ({code}): {stderr}{stdout}");
        return stdout;
    }

    private async Task<int> RunExitCode(params string[] args) => (await ExternalProcess.RunAsync(OpenSsl, args, workingDirectory: _work)).Code;

    private async Task<string> SavePublicKeyAsync(string keyId)
    {
        var path = PathOf($"{keyId}.pub.der");
        await File.WriteAllBytesAsync(path, (await _kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = keyId })).PublicKey.ToArray());
        return path;
    }

    [Theory]
    [MemberData(nameof(SigningTests.SigningCases), MemberType = typeof(SigningTests))]
    public async Task Openssl_verifies_every_signature_Keyward_makes(string spec, string algorithm, string messageType)
    {
        var key = await SharedKeys.GetAsync(server, spec, "SIGN_VERIFY");
        var publicKey = await SavePublicKeyAsync(key.KeyId);
        var md = algorithm[^3..] switch { "256" => "sha256", "384" => "sha384", _ => "sha512" };
        var pss = algorithm.Contains("PSS");
        var message = RandomNumberGenerator.GetBytes(300);
        await File.WriteAllBytesAsync(PathOf("msg"), message);
        await File.WriteAllBytesAsync(PathOf("other"), [.. message.Skip(1)]);
        var digest = md switch { "sha256" => SHA256.HashData(message), "sha384" => SHA384.HashData(message), _ => SHA512.HashData(message) };
        await File.WriteAllBytesAsync(PathOf("digest"), digest);

        var signature = (await _kms.SignAsync(new SignRequest
        {
            KeyId = key.KeyId, SigningAlgorithm = algorithm, MessageType = messageType,
            Message = new MemoryStream(messageType == "RAW" ? message : digest),
        })).Signature.ToArray();
        await File.WriteAllBytesAsync(PathOf("sig"), signature);

        // rsa_pss_saltlen:digest makes openssl insist on a salt exactly as long as the digest.
        string[] pssOptions = pss ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] : [];
        var verified = await Run(["dgst", $"-{md}", "-verify", publicKey, "-keyform", "DER", "-signature", "sig", .. pssOptions, "msg"]);
        Assert.Contains("Verified OK", verified);
        Assert.NotEqual(0, await RunExitCode(["dgst", $"-{md}", "-verify", publicKey, "-keyform", "DER", "-signature", "sig", .. pssOptions, "other"]));

        // The same signature checked as a signature over the digest (openssl pkeyutl, no hashing).
        string[] pkeyPss = pss ? ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest"] : [];
        var digestVerified = await Run(["pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", publicKey, "-in", "digest",
            "-sigfile", "sig", "-pkeyopt", $"digest:{md}", .. pkeyPss]);
        Assert.Contains("Signature Verified Successfully", digestVerified);
    }

    [Theory]
    [InlineData("RSA_2048", "RSAES_OAEP_SHA_1", "sha1")]
    [InlineData("RSA_2048", "RSAES_OAEP_SHA_256", "sha256")]
    [InlineData("RSA_3072", "RSAES_OAEP_SHA_256", "sha256")]
    [InlineData("RSA_4096", "RSAES_OAEP_SHA_1", "sha1")]
    [InlineData("RSA_4096", "RSAES_OAEP_SHA_256", "sha256")]
    public async Task Openssl_OAEP_encryption_with_the_exported_key_decrypts_in_Keyward(string spec, string algorithm, string md)
    {
        var key = await SharedKeys.GetAsync(server, spec, "ENCRYPT_DECRYPT");
        var publicKey = await SavePublicKeyAsync(key.KeyId);
        var plaintext = RandomNumberGenerator.GetBytes(100);
        await File.WriteAllBytesAsync(PathOf("plain"), plaintext);
        await Run("pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", publicKey, "-in", "plain", "-out", "cipher",
            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", $"rsa_oaep_md:{md}", "-pkeyopt", $"rsa_mgf1_md:{md}");
        var decrypted = await _kms.DecryptAsync(new DecryptRequest
        {
            KeyId = key.KeyId, EncryptionAlgorithm = algorithm, CiphertextBlob = new MemoryStream(await File.ReadAllBytesAsync(PathOf("cipher"))),
        });
        Assert.Equal(plaintext, decrypted.Plaintext.ToArray());
        Assert.Equal(algorithm, decrypted.EncryptionAlgorithm.Value);
    }

    [Theory]
    [InlineData("ECC_NIST_P256", "P-256")]
    [InlineData("ECC_NIST_P384", "P-384")]
    [InlineData("ECC_NIST_P521", "P-521")]
    public async Task Openssl_derives_the_same_ECDH_secret_from_the_other_side(string spec, string curve)
    {
        var key = await SharedKeys.GetAsync(server, spec, "KEY_AGREEMENT");
        var kmsPublic = await SavePublicKeyAsync(key.KeyId);
        await Run("genpkey", "-algorithm", "EC", "-pkeyopt", $"ec_paramgen_curve:{curve}", "-out", "peer.pem");
        await Run("pkey", "-in", "peer.pem", "-pubout", "-outform", "DER", "-out", "peer.pub.der");
        await Run("pkeyutl", "-derive", "-inkey", "peer.pem", "-peerkey", kmsPublic, "-peerform", "DER", "-out", "secret");

        var derived = await _kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
        {
            KeyId = key.KeyId, KeyAgreementAlgorithm = "ECDH", PublicKey = new MemoryStream(await File.ReadAllBytesAsync(PathOf("peer.pub.der"))),
        });
        Assert.Equal(await File.ReadAllBytesAsync(PathOf("secret")), derived.SharedSecret.ToArray());
    }

    [Theory]
    [InlineData("RSA_3072")]
    [InlineData("ECC_SECG_P256K1")]
    [InlineData("ECC_NIST_P521")]
    public async Task Openssl_reads_data_key_pair_private_keys_and_they_match_the_public_key(string pairSpec)
    {
        var key = (await _kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var pair = await _kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = key.KeyId, KeyPairSpec = pairSpec });
        await File.WriteAllBytesAsync(PathOf("private.der"), pair.PrivateKeyPlaintext.ToArray());
        await Run("pkey", "-inform", "DER", "-in", "private.der", "-pubout", "-outform", "DER", "-out", "derived.pub.der");
        Assert.Equal(pair.PublicKey.ToArray(), await File.ReadAllBytesAsync(PathOf("derived.pub.der")));
    }

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }
}
