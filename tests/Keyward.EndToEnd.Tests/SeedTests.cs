using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// `serve --seed` with a local-kms seed file: keys with the file's ids and material (checked by openssl, which computes
/// with the same keys), aliases, idempotence across starts and servers, and a conflicting entry named in one line.
/// </summary>
public sealed class SeedTests : IDisposable
{
    private const string Aes = "bc436485-5092-42b8-92a3-0aa8b93536dc", Rotated = "49c5492b-b1bc-42a8-9a5c-b2015e810c1c";
    private const string Ecc = "800d5768-3fd7-4edd-a4b8-4c81c3e4c147", Rsa = "ff275b92-0def-4dfc-b0f6-87c96b26c6c7";
    private const string Hmac = "5d05267f-bb87-4d0b-8594-295a4371d414", Pending = "5ef77041-d1e6-4af1-9a41-e49a4b45efb6";
    private const string HmacKeyHex = "614e645267556b58703273357638792f423f4528472b4b6250655368566d5971";
    private const string TagLine = "{ TagKey: team, TagValue: payments }";
    private const string PolicyJson = """
        {"Version":"2012-10-17","Statement":[{"Sid":"seeded","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}
        """;
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-seed").FullName;
    private static string OpenSsl => Environment.GetEnvironmentVariable("KEYWARD_OPENSSL") ?? "/usr/bin/openssl";

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> OpenSslAsync(params string[] args)
    {
        var (code, stdout, stderr) = await ExternalProcess.RunAsync(OpenSsl, args, workingDirectory: _dir);
        Assert.True(code == 0, stderr);
        return stdout;
    }

    private static string Indent(string pem) => string.Join("\n", pem.Trim().Split('\n').Select(l => "          " + l));

    private async Task<string> SeedFileAsync()
    {
        await OpenSslAsync("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.pem");
        await OpenSslAsync("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem");
        var seed = $"""
            Keys:
              Symmetric:
                Aes:
                  - Metadata:
                      KeyId: {Aes}
                      Description: seeded
                      Tags:
                        - {TagLine}
                      Policy: '{PolicyJson}'
                    BackingKeys:
                      - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9
                  - Metadata:
                      KeyId: {Rotated}
                    NextKeyRotation: "2030-01-01T00:00:00Z"
                    BackingKeys:
                      - 34743777217A25432A46294A404E635266556A586E3272357538782F413F4428
                      - 614E645267556B58703273357638792F423F4528472B4B6250655368566D5971
                  - Metadata:
                      KeyId: {Pending}
                      Origin: EXTERNAL
                Hmac:
                  - Metadata:
                      KeyId: {Hmac}
                      KeySpec: HMAC_256
                    BackingKeys:
                      - {HmacKeyHex}
              Asymmetric:
                Ecc:
                  - Metadata:
                      KeyId: {Ecc}
                      KeyUsage: SIGN_VERIFY
                    PrivateKeyPem: |
            {Indent(await File.ReadAllTextAsync(Path.Combine(_dir, "ec.pem")))}
                Rsa:
                  - Metadata:
                      KeyId: {Rsa}
                      KeyUsage: ENCRYPT_DECRYPT
                    PrivateKeyPem: |
            {Indent(await File.ReadAllTextAsync(Path.Combine(_dir, "rsa.pem")))}
            Aliases:
              - AliasName: alias/testing
                TargetKeyId: {Aes}
            """;
        var path = Path.Combine(_dir, "seed.yaml");
        await File.WriteAllTextAsync(path, seed);
        return path;
    }

    [Fact]
    public async Task Seeded_keys_have_the_file_s_ids_and_material_and_a_second_start_changes_nothing()
    {
        var seed = await SeedFileAsync();
        var (a, b) = (Path.Combine(_dir, "a"), Path.Combine(_dir, "b"));
        byte[] blob;
        await using (var server = await KeywardProcess.StartAsync(a, args: ["--seed", seed]))
        {
            Assert.Contains("7 created, 0 already there", server.Output);
            using var kms = server.Client();
            var metadata = new Dictionary<string, KeyMetadata>();
            foreach (var id in new[] { Aes, Rotated, Pending, Hmac, Ecc, Rsa })
                metadata[id] = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = id })).KeyMetadata;
            Assert.Equal(("SYMMETRIC_DEFAULT", "seeded", "Enabled"), (metadata[Aes].KeySpec.Value, metadata[Aes].Description, metadata[Aes].KeyState.Value));
            Assert.Equal(("EXTERNAL", "PendingImport"), (metadata[Pending].Origin.Value, metadata[Pending].KeyState.Value));
            Assert.Equal(("HMAC_256", "ECC_NIST_P256", "RSA_2048"), (metadata[Hmac].KeySpec.Value, metadata[Ecc].KeySpec.Value, metadata[Rsa].KeySpec.Value));
            Assert.Equal(Aes, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/testing" })).KeyMetadata.KeyId);
            var tag = Assert.Single((await kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = Aes })).Tags);
            Assert.Equal(("team", "payments"), (tag.TagKey, tag.TagValue));
            Assert.Contains("\"Sid\":\"seeded\"", (await kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = Aes, PolicyName = "default" })).Policy);
            var rotation = await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = Rotated });
            Assert.True(rotation.KeyRotationEnabled);
            Assert.Equal(new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc), rotation.NextRotationDate!.Value.ToUniversalTime());
            Assert.Single((await kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = Rotated })).Rotations);

            // The ECC key signs as openssl's key does (openssl verifies), the HMAC key MACs as openssl's HMAC does.
            var message = Encoding.UTF8.GetBytes("seeded message");
            await File.WriteAllBytesAsync(Path.Combine(_dir, "msg"), message);
            var signature = (await kms.SignAsync(new SignRequest { KeyId = Ecc, Message = new MemoryStream(message), SigningAlgorithm = "ECDSA_SHA_256" })).Signature.ToArray();
            await File.WriteAllBytesAsync(Path.Combine(_dir, "sig"), signature);
            await OpenSslAsync("pkey", "-in", "ec.pem", "-pubout", "-out", "ec.pub");
            Assert.Contains("Verified OK", await OpenSslAsync("dgst", "-sha256", "-verify", "ec.pub", "-signature", "sig", "msg"));
            var mac = (await kms.GenerateMacAsync(new GenerateMacRequest { KeyId = Hmac, Message = new MemoryStream(message), MacAlgorithm = "HMAC_SHA_256" })).Mac.ToArray();
            Assert.Equal(HMACSHA256.HashData(Convert.FromHexString(HmacKeyHex), message), mac);
            var expected = (await OpenSslAsync("dgst", "-sha256", "-mac", "HMAC", "-macopt", $"hexkey:{HmacKeyHex}", "-r", "msg")).Split(' ')[0];
            Assert.Equal(expected, Convert.ToHexStringLower(mac));
            // The RSA key's public half is openssl's.
            var publicKey = (await kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = Rsa })).PublicKey.ToArray();
            await OpenSslAsync("pkey", "-in", "rsa.pem", "-pubout", "-outform", "DER", "-out", "rsa.der");
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_dir, "rsa.der")), publicKey);
            blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = "alias/testing", Plaintext = new MemoryStream([9, 9]) })).CiphertextBlob.ToArray();
            Assert.Equal(0, await server.TerminateAsync());
        }
        // Again on the same directory: nothing changes. On another directory: the same keys, so A's ciphertext decrypts.
        await using (var again = await KeywardProcess.StartAsync(a, args: ["--seed", seed]))
        {
            Assert.Contains("0 created, 7 already there", again.Output);
            Assert.Equal(0, await again.TerminateAsync());
        }
        var seeded = await ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "seed", seed, "--data-dir", b]);
        Assert.True(seeded.Code == 0, seeded.Stdout + seeded.Stderr);
        await using (var other = await KeywardProcess.StartAsync(b))
        {
            using var kms = other.Client();
            Assert.Equal([9, 9], (await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext.ToArray());
            Assert.Equal(0, await other.TerminateAsync());
        }
    }

    [Fact]
    public async Task An_entry_that_conflicts_with_the_database_is_named_and_nothing_is_written()
    {
        var seed = await SeedFileAsync();
        var data = Path.Combine(_dir, "data");
        await using (var server = await KeywardProcess.StartAsync(data, args: ["--seed", seed]))
            Assert.Equal(0, await server.TerminateAsync());
        // The same alias pointed elsewhere, and a new key: the conflict stops the seeding before the new key is made.
        var conflicting = (await File.ReadAllTextAsync(seed)).Replace($"TargetKeyId: {Aes}", $"TargetKeyId: {Rotated}")
            .Replace($"KeyId: {Pending}", "KeyId: 11111111-2222-3333-4444-555555555555");
        await File.WriteAllTextAsync(seed, conflicting);
        var (code, _, stderr) = await ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "seed", seed, "--data-dir", data]);
        Assert.Equal(1, code);
        Assert.Contains($"alias alias/testing exists and points at {Aes}", stderr);
        Assert.DoesNotContain("   at ", stderr);
        await using var check = await KeywardProcess.StartAsync(data);
        using var kms = check.Client();
        await Assert.ThrowsAsync<NotFoundException>(() => kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "11111111-2222-3333-4444-555555555555" }));
        Assert.Equal(0, await check.TerminateAsync());
    }

    [Fact]
    public async Task Keyward_s_additions_generate_material_set_rotation_periods_disabled_keys_and_aliases_in_the_entry()
    {
        const string Generated = "0a1b2c3d-0000-4000-8000-000000000001", Pair = "0a1b2c3d-0000-4000-8000-000000000002";
        var seed = Path.Combine(_dir, "additions.yaml");
        await File.WriteAllTextAsync(seed, $"""
            Keys:
              Symmetric:
                Aes:
                  - Metadata:
                      KeyId: {Generated}
                      Enabled: false
                      Aliases: [ alias/one, alias/two ]
                    RotationPeriodInDays: 90
              Asymmetric:
                Ecc:
                  - Metadata: {"{"} KeyId: {Pair}, KeySpec: ECC_NIST_P384, KeyUsage: SIGN_VERIFY {"}"}
            """);
        var data = Path.Combine(_dir, "data");
        byte[] publicKey;
        await using (var server = await KeywardProcess.StartAsync(data, args: ["--seed", seed]))
        {
            Assert.Contains("4 created, 0 already there", server.Output);
            using var kms = server.Client();
            var key = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/two" })).KeyMetadata;
            Assert.Equal((Generated, "Disabled", "AWS_KMS"), (key.KeyId, key.KeyState.Value, key.Origin.Value));
            Assert.Equal(Generated, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/one" })).KeyMetadata.KeyId);
            var rotation = await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = Generated });
            Assert.Equal((true, 90), (rotation.KeyRotationEnabled, rotation.RotationPeriodInDays));
            var pair = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = Pair })).KeyMetadata;
            Assert.Equal(("ECC_NIST_P384", "Enabled"), (pair.KeySpec.Value, pair.KeyState.Value));
            publicKey = (await kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = Pair })).PublicKey.ToArray();
            Assert.Equal(0, await server.TerminateAsync());
        }
        // Generated once: a second start keeps the material it made.
        await using (var again = await KeywardProcess.StartAsync(data, args: ["--seed", seed]))
        {
            Assert.Contains("0 created, 4 already there", again.Output);
            using var kms = again.Client();
            Assert.Equal(publicKey, (await kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = Pair })).PublicKey.ToArray());
            Assert.Equal(0, await again.TerminateAsync());
        }
    }

    [Theory]
    [InlineData("Hmac:\n      - Metadata: { KeyId: 0a1b2c3d-0000-4000-8000-000000000003, KeySpec: HMAC_256 }\n        RotationPeriodInDays: 90",
        "automatic rotation is only for SYMMETRIC_DEFAULT keys")]
    [InlineData("Aes:\n      - Metadata: { KeyId: 0a1b2c3d-0000-4000-8000-000000000003 }\n        RotationPeriodInDays: 30",
        "RotationPeriodInDays is a whole number from 90 to 2560")]
    [InlineData("Aes:\n      - Metadata: { KeyId: 0a1b2c3d-0000-4000-8000-000000000003, Aliases: [ alias/aws/mine ] }",
        "alias alias/aws/mine: Alias names that begin with alias/aws/ are reserved")]
    [InlineData("Aes:\n      - Metadata: { KeyId: 0a1b2c3d-0000-4000-8000-000000000003, Enabled: maybe }",
        "Enabled is true or false")]
    public async Task A_wrong_addition_is_one_line_naming_it_and_nothing_is_made(string entry, string expected)
    {
        var seed = Path.Combine(_dir, "wrong.yaml");
        await File.WriteAllTextAsync(seed, "Keys:\n  Symmetric:\n    " + entry + "\n");
        var data = Path.Combine(_dir, "wrong");
        var (code, _, stderr) = await ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "seed", seed, "--data-dir", data]);
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
