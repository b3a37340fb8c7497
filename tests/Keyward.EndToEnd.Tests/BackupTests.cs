using System.Security.Cryptography;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Tests.Shared;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// `keyward backup` of a server under load and `keyward restore` into another directory, through the real executable:
/// every ciphertext acknowledged before the backup began decrypts on the restored server; nothing is overwritten, and
/// a restore that the seal cannot open leaves the directory as it was.
/// </summary>
public sealed class BackupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-backup").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Stdout, string Stderr)> Keyward(params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), .. args]);

    [Fact]
    public async Task A_backup_taken_under_load_restores_and_decrypts_everything_acknowledged_before_it()
    {
        var live = Path.Combine(_dir, "live");
        var backup = Path.Combine(_dir, "backup.db");
        var acknowledged = new List<(byte[] Plaintext, byte[] Blob)>();
        List<(byte[] Plaintext, byte[] Blob)> beforeBackup;
        await using (var server = await KeywardProcess.StartAsync(live))
        {
            using var kms = server.Client();
            var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            using var stop = new CancellationTokenSource();
            var load = Task.Run(async () =>
            {
                using var client = server.Client();
                while (!stop.IsCancellationRequested)
                {
                    var plaintext = RandomNumberGenerator.GetBytes(32);
                    var blob = (await client.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream(plaintext) })).CiphertextBlob.ToArray();
                    lock (acknowledged) acknowledged.Add((plaintext, blob));
                    // Now and then a new key too, so the backup catches writes of every kind in flight.
                    if (acknowledged.Count % 25 == 0) await client.CreateKeyAsync(new CreateKeyRequest { KeySpec = "ECC_NIST_P256", KeyUsage = "SIGN_VERIFY" });
                }
            });
            await Eventually.WaitFor(() => { lock (acknowledged) return Task.FromResult(acknowledged.Count >= 50); });
            lock (acknowledged) beforeBackup = [.. acknowledged];
            var taken = await Keyward("backup", "--to", backup, "--data-dir", live);
            Assert.True(taken.Code == 0, taken.Stdout + taken.Stderr);
            Assert.Contains($"backed up {Path.Combine(live, "keyward.db")} to {backup}", taken.Stdout);
            Assert.Contains("the root key is not in the backup", taken.Stdout);
            await Task.Delay(200); // the load goes on past the backup
            await stop.CancelAsync();
            await load;
            Assert.Equal(0, await server.TerminateAsync());
        }
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
        // It never overwrites.
        var again = await Keyward("backup", "--to", backup, "--data-dir", live);
        Assert.Equal(1, again.Code);
        Assert.Contains("never overwrites", again.Stderr);

        var restoredDir = Path.Combine(_dir, "restored");
        var restored = await Keyward("restore", backup, "--data-dir", restoredDir, "--root-key", Path.Combine(live, "root.key"));
        Assert.True(restored.Code == 0, restored.Stdout + restored.Stderr);
        Assert.Contains("sealed values open under the seal", restored.Stdout);
        await using (var server = await KeywardProcess.StartAsync(restoredDir))
        {
            using var kms = server.Client();
            foreach (var (plaintext, blob) in beforeBackup)
                Assert.Equal(plaintext, (await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext.ToArray());
            Assert.Equal(0, await server.TerminateAsync());
        }
        // Into a directory that has a database: refused, and the database is untouched.
        var before = await File.ReadAllBytesAsync(Path.Combine(restoredDir, "keyward.db"));
        var over = await Keyward("restore", backup, "--data-dir", restoredDir);
        Assert.Equal(1, over.Code);
        Assert.Contains("is not empty", over.Stderr);
        Assert.Equal(before, await File.ReadAllBytesAsync(Path.Combine(restoredDir, "keyward.db")));
    }

    [Fact]
    public async Task A_restore_the_seal_cannot_open_leaves_the_directory_as_it_was()
    {
        var live = Path.Combine(_dir, "live");
        var other = Path.Combine(_dir, "other");
        var backup = Path.Combine(_dir, "backup.db");
        foreach (var dir in new[] { live, other })
        {
            await using var server = await KeywardProcess.StartAsync(dir);
            using var kms = server.Client();
            await kms.CreateKeyAsync(new CreateKeyRequest());
            Assert.Equal(0, await server.TerminateAsync());
        }
        Assert.Equal(0, (await Keyward("backup", "--to", backup, "--data-dir", live)).Code);
        var target = Path.Combine(_dir, "target");
        // Another deployment's root key does not open this database.
        var wrong = await Keyward("restore", backup, "--data-dir", target, "--root-key", Path.Combine(other, "root.key"));
        Assert.Equal(1, wrong.Code);
        Assert.Contains("does not hold this database's root key", wrong.Stderr);
        Assert.DoesNotContain("   at ", wrong.Stderr);
        Assert.DoesNotContain(Directory.EnumerateFiles(target), f => !Path.GetFileName(f).StartsWith("keyward.lock", StringComparison.Ordinal));
        // With the right one it restores.
        Assert.Equal(0, (await Keyward("restore", backup, "--data-dir", target, "--root-key", Path.Combine(live, "root.key"))).Code);
    }

    [Fact]
    public async Task The_documented_pg_dump_and_pg_restore_procedure_restores_a_running_PostgreSQL_deployment()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var (source, copy) = (await postgres.NewDatabaseAsync(), await postgres.NewDatabaseAsync());
        var data = Path.Combine(_dir, "node");
        byte[] blob;
        await using (var server = await KeywardProcess.StartAsync(data, args: ["--database", postgres.Uri(source)]))
        {
            using var kms = server.Client();
            var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([7, 7, 7]) })).CiphertextBlob.ToArray();
            // docs/operations.md, "Backups": pg_dump of the running deployment, pg_restore into a new database.
            var dump = postgres.PathFor("kms.dump");
            await postgres.ToolAsync("pg_dump", "--format=custom", $"--file={dump}", source);
            await postgres.ToolAsync("pg_restore", "--no-owner", $"--dbname={copy}", dump);
            Assert.Equal(0, await server.TerminateAsync());
        }
        await using (var restored = await KeywardProcess.StartAsync(data, args: ["--database", postgres.Uri(copy)]))
        {
            using var kms = restored.Client();
            Assert.Equal([7, 7, 7], (await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext.ToArray());
            Assert.Equal(0, await restored.TerminateAsync());
        }
    }
}
