using System.Text.Json.Nodes;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;
using static Keyward.EndToEnd.Tests.Infrastructure.Noble;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Ed25519, ML-DSA and ML-KEM keys of the real executable survive SIGKILL (their material is in the database once
/// CreateKey answers), and their uses are in the audit log like any other cryptographic call.
/// </summary>
public sealed class NewKeySpecDurabilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-newspec-kill").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Keys_made_before_a_SIGKILL_sign_and_decapsulate_after_it_and_their_uses_are_audited()
    {
        var data = Path.Combine(_dir, "data");
        string ed, dsa, kem;
        byte[] edPublic, dsaPublic, ciphertext, secret;
        await using (var server = await KeywardProcess.StartAsync(data))
        {
            using var kms = server.Client();
            ed = (await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "ECC_NIST_EDWARDS25519", KeyUsage = "SIGN_VERIFY" })).KeyMetadata.KeyId;
            dsa = (await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "ML_DSA_44", KeyUsage = "SIGN_VERIFY" })).KeyMetadata.KeyId;
            kem = (await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "ML_KEM_1024", KeyUsage = "ENCAPSULATE_DECAPSULATE" })).KeyMetadata.KeyId;
            edPublic = (await kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = ed })).PublicKey.ToArray();
            dsaPublic = (await kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = dsa })).PublicKey.ToArray();
            var encapsulated = await kms.EncapsulateAsync(new EncapsulateRequest { KeyId = kem, EncapsulationAlgorithm = "ML_KEM" });
            (ciphertext, secret) = (encapsulated.SharedSecretCiphertextBlob.ToArray(), encapsulated.SharedSecret.ToArray());
            await server.KillAsync();
        }
        var message = "signed after the restart"u8.ToArray();
        await using (var server = await KeywardProcess.StartAsync(data))
        {
            using var kms = server.Client();
            Assert.Equal(edPublic, (await kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = ed })).PublicKey.ToArray());
            var edSignature = (await kms.SignAsync(new SignRequest
                { KeyId = ed, Message = new MemoryStream(message), SigningAlgorithm = "ED25519_SHA_512", MessageType = "RAW" })).Signature.ToArray();
            var dsaSignature = (await kms.SignAsync(new SignRequest
                { KeyId = dsa, Message = new MemoryStream(message), SigningAlgorithm = "ML_DSA_SHAKE_256" })).Signature.ToArray();
            var checks = await RunAsync(
                new JsonObject { ["op"] = "ed25519-verify", ["publicKey"] = B64(edPublic), ["message"] = B64(message), ["signature"] = B64(edSignature) },
                new JsonObject { ["op"] = "mldsa-verify", ["level"] = 44, ["publicKey"] = B64(dsaPublic), ["message"] = B64(message), ["signature"] = B64(dsaSignature) });
            Assert.All(checks, c => Assert.True(c.GetProperty("valid").GetBoolean()));
            var decapsulated = await kms.DecapsulateAsync(new DecapsulateRequest
                { KeyId = kem, EncapsulationAlgorithm = "ML_KEM", SharedSecretCiphertextBlob = new MemoryStream(ciphertext) });
            Assert.Equal(secret, decapsulated.SharedSecret.ToArray());
            Assert.Equal(0, await server.TerminateAsync());
        }
        // The audit log names each use, with the algorithm and never the secret.
        var query = await ExternalProcess.RunAsync("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "audit", "query", "--data-dir", data, "--key", kem]);
        Assert.True(query.Code == 0, query.Stderr);
        Assert.Contains("\"eventName\":\"Encapsulate\"", query.Stdout);
        Assert.Contains("\"eventName\":\"Decapsulate\"", query.Stdout);
        Assert.Contains("\"encapsulationAlgorithm\":\"ML_KEM\"", query.Stdout);
        Assert.DoesNotContain(Convert.ToBase64String(secret), query.Stdout);
        Assert.DoesNotContain(Convert.ToBase64String(ciphertext)[..40], query.Stdout);
    }
}
