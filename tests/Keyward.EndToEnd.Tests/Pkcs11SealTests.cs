using System.Text;
using Amazon.KeyManagementService.Model;
using Keyward.Core.Seal;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Pkcs11;
using Keyward.Pkcs11.Interop;
using Keyward.Tests.Shared;

namespace Keyward.EndToEnd.Tests;

/// <summary>The root key as a non-extractable AES key in SoftHSM, and moving a deployment onto it.</summary>
public sealed class Pkcs11SealTests : IDisposable
{
    private readonly string _pinFile = Path.Combine(SoftHsm.Directory, $"pin-{Guid.NewGuid():N}");
    private readonly List<string> _dirs = [];

    public Pkcs11SealTests() => File.WriteAllText(_pinFile, SoftHsm.Pin + "\n");

    public void Dispose()
    {
        foreach (var dir in _dirs) try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    private HsmConfiguration SealOn(string token) => new()
    {
        Seal = new Pkcs11SealOptions { Module = SoftHsm.Module, Token = token, KeyLabel = "keyward-root-key", PinFile = _pinFile },
    };

    private string NewDir()
    {
        var dir = Directory.CreateTempSubdirectory("keyward-seal").FullName;
        _dirs.Add(dir);
        return dir;
    }

    [Fact]
    public async Task A_database_copied_without_the_hsm_decrypts_nothing()
    {
        var token = SoftHsm.NewToken();
        var dir = NewDir();
        string keyId;
        byte[] blob;
        await using (var server = await Start(dir, SealOn(token)))
        {
            Assert.False(File.Exists(Path.Combine(dir, "root.key")));
            using var kms = server.Client();
            keyId = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream("sealed in the hsm"u8.ToArray()) })).CiphertextBlob.ToArray();
        }

        // The root key in the HSM is non-extractable and sensitive, and always was.
        using (var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), token, Encoding.UTF8.GetBytes(SoftHsm.Pin), 2, TimeSpan.FromSeconds(5)))
        {
            hsm.Open();
            hsm.Run(s =>
            {
                var root = HsmCluster.FindSecretKey(s, "keyward-root-key")!.Value;
                Assert.Equal((false, true, true), (s.GetBool(root, CKA.EXTRACTABLE), s.GetBool(root, CKA.SENSITIVE), s.GetBool(root, CKA.NEVER_EXTRACTABLE)));
                return 0;
            });
        }

        // A copy of the database alone: the file seal has no key for it, another HSM token has no root key.
        var copy = NewDir();
        File.Copy(Path.Combine(dir, "keyward.db"), Path.Combine(copy, "keyward.db"));
        await Assert.ThrowsAsync<SealException>(() => Start(copy, null));
        await Assert.ThrowsAsync<SealException>(() => Start(copy, SealOn(SoftHsm.NewToken())));
        Assert.False(File.Exists(Path.Combine(copy, "root.key")));

        // With the HSM it opens again.
        await using (var server = await Start(copy, SealOn(token)))
        {
            using var kms = server.Client();
            var clear = (await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext;
            Assert.Equal("sealed in the hsm", Encoding.UTF8.GetString(clear.ToArray()));
        }
    }

    [Fact]
    public async Task Seal_migrate_moves_a_file_sealed_deployment_into_the_hsm()
    {
        var dir = NewDir();
        string keyId;
        byte[] blob;
        await using (var server = await Start(dir, null))
        {
            using var kms = server.Client();
            keyId = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream("moved"u8.ToArray()) })).CiphertextBlob.ToArray();
            // An import wrapping key is sealed too and must survive the move.
            await kms.CreateKeyAsync(new CreateKeyRequest { Origin = Amazon.KeyManagementService.OriginType.EXTERNAL });
        }
        Assert.True(File.Exists(Path.Combine(dir, "root.key")));

        var config = Path.Combine(dir, "keyward.json");
        var token = SoftHsm.NewToken();
        File.WriteAllText(config, $$"""
            { "seal": { "module": "{{SoftHsm.Module}}", "token": "{{token}}", "pinFile": "{{_pinFile}}" } }
            """);
        Assert.Equal(0, await Keyward.Cli.Commands.RunAsync(["seal", "migrate", "--data-dir", dir, "--config", config]));
        Assert.False(File.Exists(Path.Combine(dir, "root.key")));
        Assert.True(File.Exists(Path.Combine(dir, "root.key.migrated")));

        // The old file seal no longer opens the database; the HSM seal does, and old ciphertexts decrypt.
        File.Move(Path.Combine(dir, "root.key.migrated"), Path.Combine(dir, "root.key"));
        await Assert.ThrowsAsync<SealException>(() => Start(dir, null));
        File.Delete(Path.Combine(dir, "root.key"));
        await using (var server = await Start(dir, HsmConfiguration.Load(config)))
        {
            using var kms = server.Client();
            var clear = (await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext;
            Assert.Equal("moved", Encoding.UTF8.GetString(clear.ToArray()));
        }
        // Migrating again fails cleanly: there is no file seal any more.
        Assert.Equal(1, await Keyward.Cli.Commands.RunAsync(["seal", "migrate", "--data-dir", dir, "--config", config]));
    }

    private static async Task<ServerFixture> Start(string dir, HsmConfiguration? hsm)
    {
        var server = new ServerFixture { DataDir = dir, Hsm = hsm, DeleteDataDir = false, LifecycleJob = false };
        await server.InitializeAsync();
        return server;
    }
}
