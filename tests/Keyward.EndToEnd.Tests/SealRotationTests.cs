using System.Diagnostics;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// `keyward seal rotate` through the real executable: afterwards every key works under the new root key and the old one
/// opens nothing; a rotation cut short at either side of its commit, or killed at any moment, leaves one whole state
/// that the next start serves.
/// </summary>
public sealed class SealRotationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-rotate").FullName;
    private string DataDir => Path.Combine(_dir, "data");
    private string RootKey => Path.Combine(DataDir, "root.key");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Stdout, string Stderr)> Keyward(params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), .. args]);

    /// <summary>A deployment with a sealed value of each kind: symmetric and RSA material, and an import wrapping key.</summary>
    private async Task<(string Symmetric, byte[] Blob, string Rsa)> PrepareAsync()
    {
        await using var server = await KeywardProcess.StartAsync(DataDir);
        using var kms = server.Client();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([4, 2]) })).CiphertextBlob.ToArray();
        var rsa = (await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "RSA_2048", KeyUsage = "SIGN_VERIFY" })).KeyMetadata.KeyId;
        var external = (await kms.CreateKeyAsync(new CreateKeyRequest { Origin = "EXTERNAL" })).KeyMetadata.KeyId;
        await kms.GetParametersForImportAsync(new GetParametersForImportRequest
            { KeyId = external, WrappingAlgorithm = "RSAES_OAEP_SHA_256", WrappingKeySpec = "RSA_2048" });
        Assert.Equal(0, await server.TerminateAsync());
        return (key, blob, rsa);
    }

    private async Task AssertServesAsync(byte[] blob, string rsa)
    {
        await using var server = await KeywardProcess.StartAsync(DataDir);
        using var kms = server.Client();
        Assert.Equal([4, 2], (await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext.ToArray());
        await kms.SignAsync(new SignRequest { KeyId = rsa, Message = new MemoryStream([1]), SigningAlgorithm = "RSASSA_PSS_SHA_256" });
        Assert.Equal(0, await server.TerminateAsync());
    }

    [Fact]
    public async Task After_a_rotation_every_key_works_and_the_old_root_key_opens_nothing()
    {
        var (_, blob, rsa) = await PrepareAsync();
        var before = await File.ReadAllBytesAsync(RootKey);
        var rotated = await Keyward("seal", "rotate", "--data-dir", DataDir);
        Assert.True(rotated.Code == 0, rotated.Stdout + rotated.Stderr);
        Assert.Contains("re-sealed", rotated.Stdout);
        Assert.NotEqual(before, await File.ReadAllBytesAsync(RootKey));
        var retired = Assert.Single(Directory.GetFiles(DataDir, "root.key.retired-*"));
        Assert.Equal(before, await File.ReadAllBytesAsync(retired));
        Assert.False(File.Exists(RootKey + ".next"));
        await AssertServesAsync(blob, rsa);

        // The old key no longer opens the database: a start with it is refused.
        var current = await File.ReadAllBytesAsync(RootKey);
        await File.WriteAllBytesAsync(RootKey, before);
        var refused = await Keyward("seal", "rotate", "--data-dir", DataDir);
        Assert.Equal(1, refused.Code);
        Assert.Contains("does not hold this database's root key", refused.Stderr);
        await File.WriteAllBytesAsync(RootKey, current);
    }

    [Fact]
    public async Task A_rotation_cut_short_after_its_commit_is_finished_and_one_cut_short_before_it_is_undone()
    {
        var (_, blob, rsa) = await PrepareAsync();
        var original = await File.ReadAllBytesAsync(RootKey);
        Assert.Equal(0, (await Keyward("seal", "rotate", "--data-dir", DataDir)).Code);
        // Back to the moment after the commit, before the renames: the new key is root.key.next, the old one root.key.
        var retired = Assert.Single(Directory.GetFiles(DataDir, "root.key.retired-*"));
        File.Move(RootKey, RootKey + ".next");
        File.Move(retired, RootKey);
        await AssertServesAsync(blob, rsa);
        Assert.False(File.Exists(RootKey + ".next"));
        Assert.NotEqual(original, await File.ReadAllBytesAsync(RootKey));

        // Before the commit: a root.key.next that opens nothing here is removed, and the root key is unchanged.
        var current = await File.ReadAllBytesAsync(RootKey);
        var stray = Path.Combine(_dir, "stray");
        await using (var other = await KeywardProcess.StartAsync(stray)) Assert.Equal(0, await other.TerminateAsync());
        File.Copy(Path.Combine(stray, "root.key"), RootKey + ".next");
        await AssertServesAsync(blob, rsa);
        Assert.False(File.Exists(RootKey + ".next"));
        Assert.Equal(current, await File.ReadAllBytesAsync(RootKey));
    }

    [Fact]
    public async Task A_rotation_killed_at_any_moment_leaves_a_deployment_that_serves()
    {
        var (_, blob, rsa) = await PrepareAsync();
        foreach (var delay in new[] { 0, 30, 80, 150, 300, 600 })
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "seal", "rotate", "--data-dir", DataDir })
                info.ArgumentList.Add(a);
            using var rotation = Process.Start(info)!;
            await Task.Delay(delay);
            rotation.Kill(); // SIGKILL
            await rotation.WaitForExitAsync();
            await AssertServesAsync(blob, rsa);
        }
    }
}
