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

    /// <summary>A --config naming the seal, with SoftHSM's configuration for the executable (a process of its own).</summary>
    private string SealConfig(string dir, string token)
    {
        var config = Path.Combine(dir, "keyward.json");
        File.WriteAllText(config, $$"""
            { "seal": { "module": "{{SoftHsm.Module}}", "token": "{{token}}", "pinFile": "{{_pinFile}}",
                        "environment": { "SOFTHSM2_CONF": "{{SoftHsm.ConfigFile}}" } } }
            """);
        return config;
    }

    /// <summary>The labels of the secret keys on <paramref name="token"/>, sorted.</summary>
    private static List<string> SecretKeyLabels(string token)
    {
        using var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), token, Encoding.UTF8.GetBytes(SoftHsm.Pin), 2, TimeSpan.FromSeconds(5));
        hsm.Open();
        return hsm.Run(s => s.Find(new Template().ULong(CKA.CLASS, CKO.SECRET_KEY), 64)
            .Select(o => Encoding.UTF8.GetString(s.GetBytes(o, CKA.LABEL)!)).Order(StringComparer.Ordinal).ToList());
    }

    private static void OnToken(string token, Action<Pkcs11Session> action)
    {
        using var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), token, Encoding.UTF8.GetBytes(SoftHsm.Pin), 2, TimeSpan.FromSeconds(5));
        hsm.Open();
        hsm.Run(s =>
        {
            action(s);
            return 0;
        });
    }

    private static void Relabel(string token, string from, string to) =>
        OnToken(token, s => s.SetBytes(HsmCluster.FindSecretKey(s, from)!.Value, CKA.LABEL, Pkcs11Session.Label(to)));

    /// <summary>A deployment on the PKCS#11 seal of a new token, with a ciphertext and an import wrapping key (both sealed).</summary>
    private async Task<(string Dir, string Token, string Config, byte[] Blob)> HsmSealedAsync()
    {
        var dir = NewDir();
        var token = SoftHsm.NewToken();
        var config = SealConfig(dir, token);
        await using var server = await Start(dir, HsmConfiguration.Load(config));
        using var kms = server.Client();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream("rotated"u8.ToArray()) })).CiphertextBlob.ToArray();
        await kms.CreateKeyAsync(new CreateKeyRequest { Origin = Amazon.KeyManagementService.OriginType.EXTERNAL });
        return (dir, token, config, blob);
    }

    private async Task AssertDecryptsAsync(string dir, string config, byte[] blob)
    {
        await using var server = await Start(dir, HsmConfiguration.Load(config));
        using var kms = server.Client();
        var clear = (await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext;
        Assert.Equal("rotated", Encoding.UTF8.GetString(clear.ToArray()));
    }

    private static Task<(int Code, string Stdout, string Stderr)> Run(params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), .. args]);

    [Fact]
    public async Task Seal_rotate_replaces_the_key_in_the_hsm_and_the_old_key_opens_nothing()
    {
        var (dir, token, config, blob) = await HsmSealedAsync();
        var rotated = await Run("seal", "rotate", "--data-dir", dir, "--config", config);
        Assert.True(rotated.Code == 0, rotated.Stdout + rotated.Stderr);
        Assert.Contains("re-sealed", rotated.Stdout);
        var labels = SecretKeyLabels(token);
        Assert.Equal(2, labels.Count);
        Assert.Equal("keyward-root-key", labels[0]);
        Assert.StartsWith("keyward-root-key.retired-", labels[1]);
        // The new key was generated in the HSM and never left it.
        OnToken(token, s =>
        {
            var root = HsmCluster.FindSecretKey(s, "keyward-root-key")!.Value;
            Assert.Equal((false, true, true), (s.GetBool(root, CKA.EXTRACTABLE), s.GetBool(root, CKA.SENSITIVE), s.GetBool(root, CKA.NEVER_EXTRACTABLE)));
        });
        await AssertDecryptsAsync(dir, config, blob);

        // The old key no longer opens the database.
        var old = HsmConfiguration.Load(config);
        old = new HsmConfiguration { Seal = old.Seal! with { KeyLabel = labels[1] } };
        await Assert.ThrowsAsync<SealException>(() => Start(dir, old));
    }

    [Fact]
    public async Task An_hsm_rotation_cut_short_after_its_commit_is_finished_and_one_cut_short_before_it_is_undone()
    {
        var (dir, token, config, blob) = await HsmSealedAsync();
        Assert.Equal(0, (await Run("seal", "rotate", "--data-dir", dir, "--config", config)).Code);
        // Back to the moment after the commit, before the relabels: the new key is .next, the old one the root key.
        var retired = SecretKeyLabels(token)[1];
        Relabel(token, "keyward-root-key", "keyward-root-key.next");
        Relabel(token, retired, "keyward-root-key");
        await AssertDecryptsAsync(dir, config, blob);
        var finished = SecretKeyLabels(token);
        Assert.DoesNotContain("keyward-root-key.next", finished);
        Assert.Equal(2, finished.Count);
        Assert.Single(finished, l => l.StartsWith("keyward-root-key.retired-", StringComparison.Ordinal));

        // Before the commit: a .next key that opens nothing here is destroyed, and the root key is unchanged.
        OnToken(token, s => s.GenerateKey(CKM.AES_KEY_GEN,
            Template.AesKey(AesKeyUse.EncryptDecrypt, token: true, extractable: false, generate: true).Text(CKA.LABEL, "keyward-root-key.next")));
        await AssertDecryptsAsync(dir, config, blob);
        Assert.Equal(finished, SecretKeyLabels(token));
    }

    [Fact]
    public async Task An_hsm_rotation_killed_at_any_moment_leaves_a_deployment_that_serves()
    {
        var (dir, token, config, blob) = await HsmSealedAsync();
        var tokenRecord = TokenRecordPath(token);
        foreach (var delay in new[] { 0, 100, 300, 700 })
        {
            var record = File.ReadAllBytes(tokenRecord);
            var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "seal", "rotate", "--data-dir", dir, "--config", config })
                info.ArgumentList.Add(a);
            using var rotation = System.Diagnostics.Process.Start(info)!;
            await Task.Delay(delay);
            rotation.Kill(); // SIGKILL
            await rotation.WaitForExitAsync();
            // SoftHSM2 rewrites its token record (token.object: label, PINs, flags) in place, truncating it first, when a
            // session logs in; a SIGKILL in between leaves it empty and the token gone. That is SoftHSM's own crash
            // safety, not Keyward's (pkcs11-tool logging in and killed at random loses the token the same way within a
            // few dozen tries), and a real HSM does not lose its token. So SoftHSM's record is put back; Keyward's key
            // objects in the token are left exactly as the kill left them.
            if (File.ReadAllBytes(tokenRecord).Length == 0) File.WriteAllBytes(tokenRecord, record);
            await AssertDecryptsAsync(dir, config, blob);
            Assert.DoesNotContain("keyward-root-key.next", SecretKeyLabels(token));
            Assert.Contains("keyward-root-key", SecretKeyLabels(token));
        }
    }

    /// <summary>SoftHSM's record of the token labelled <paramref name="label"/> (its token.object holds the label as PKCS#11's
    /// 32 blank-padded bytes, so kw-token-1 does not match kw-token-12).</summary>
    private static string TokenRecordPath(string label)
    {
        var needle = Encoding.UTF8.GetBytes(label.PadRight(32));
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(SoftHsm.Directory, "tokens")))
        {
            var path = Path.Combine(dir, "token.object");
            if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().IndexOf(needle) >= 0) return path;
        }
        throw new InvalidOperationException($"no SoftHSM token record names {label}");
    }

    private static async Task<ServerFixture> Start(string dir, HsmConfiguration? hsm)
    {
        var server = new ServerFixture { DataDir = dir, Hsm = hsm, DeleteDataDir = false, LifecycleJob = false };
        await server.InitializeAsync();
        return server;
    }
}
