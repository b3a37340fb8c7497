using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// The data directory: owner-only, whatever the umask. One process per data directory: a second `keyward serve`, `db migrate` or `seal migrate` on a directory a server
/// holds is refused with one line naming the holder, exits non-zero and writes nothing; the first loses nothing (its
/// audit chain verifies and holds every acknowledged call), and the directory is free again once it stops.
/// </summary>
public sealed class DataDirectoryTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("keyward-lock").FullName;

    private static Task<(int Code, string Stdout, string Stderr)> Keyward(params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), .. args]);

    [Fact]
    public async Task A_second_process_on_a_data_directory_in_use_is_refused_and_writes_nothing()
    {
        const int Calls = 20;
        await using (var first = await KeywardProcess.StartAsync(_dataDir))
        {
            using var kms = first.Client();
            var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            for (var i = 0; i < Calls; i++) await kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([1]) });
            // Once the audit indexer has moved the calls into the database, nothing in the directory changes by itself.
            var before = Snapshot();
            await Eventually.WaitFor(async () =>
            {
                await Task.Delay(500);
                var now = Snapshot();
                (var settled, before) = (now == before, now);
                return settled;
            });

            var port = KeywardProcess.FreePort();
            foreach (var args in new[]
            {
                new[] { "serve", "--listen", $"http://127.0.0.1:{port}", "--data-dir", _dataDir },
                ["db", "migrate", "--data-dir", _dataDir],
            })
            {
                var refused = await Keyward(args);
                Assert.True(refused.Code == 1, $"{string.Join(' ', args)}: exit {refused.Code}\n{refused.Stdout}\n{refused.Stderr}");
                var line = Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.Contains($"is in use by process {first.ProcessId} (keyward serve", line);
            }
            Assert.Equal(before, Snapshot());
            // The first server carries on.
            await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key });
            Assert.Equal(0, await first.TerminateAsync());
        }
        var verify = await Keyward("audit", "verify", "--data-dir", _dataDir);
        Assert.True(verify.Code == 0, verify.Stdout + verify.Stderr);
        var encrypts = await Keyward("audit", "query", "--data-dir", _dataDir, "--event", "Encrypt");
        Assert.Equal(Calls, encrypts.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        // Stopped: the directory is free again.
        var migrated = await Keyward("db", "migrate", "--data-dir", _dataDir);
        Assert.True(migrated.Code == 0, migrated.Stderr);
    }

    [Fact]
    public async Task A_journal_line_that_is_not_an_entry_is_kept_aside_and_reported_and_serve_starts()
    {
        string key;
        await using (var first = await KeywardProcess.StartAsync(_dataDir))
        {
            using var kms = first.Client();
            key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            await kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([1]) });
            Assert.Equal(0, await first.TerminateAsync());
        }
        // What two processes appending at once left behind: half an entry, and bytes that are no entry at all.
        var journal = Path.Combine(_dataDir, "audit.journal");
        var lines = File.ReadAllLines(journal);
        File.AppendAllText(journal, lines[^1][..40] + "\n" + "garbage\tgarbage\n");
        await using (var second = await KeywardProcess.StartAsync(_dataDir))
        {
            using var kms = second.Client();
            await kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([2]) });
            await Eventually.WaitFor(() => Task.FromResult(second.Output.Contains("that is not an audit entry")));
            Assert.DoesNotContain("garbage", second.Output); // the line itself is not logged
            Assert.Equal(0, await second.TerminateAsync());
        }
        var aside = File.ReadAllLines(Path.Combine(_dataDir, "audit.journal.rejected"));
        Assert.Equal(2, aside.Length);
        Assert.EndsWith("\tgarbage\tgarbage", aside[1]);
        var verify = await Keyward("audit", "verify", "--data-dir", _dataDir);
        Assert.True(verify.Code == 0, verify.Stdout + verify.Stderr);
        var encrypts = await Keyward("audit", "query", "--data-dir", _dataDir, "--event", "Encrypt");
        Assert.Equal(2, encrypts.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Every_file_is_owner_only_and_the_directory_too_whatever_the_umask()
    {
        // A directory an earlier version (or a umask of 022) left readable by others.
        File.SetUnixFileMode(_dataDir, (UnixFileMode)0b111_101_101);
        await using (var server = await KeywardProcess.StartAsync(_dataDir, bootstrapFromEnvironment: false))
        {
            using var kms = server.Client();
            var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            await kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([1]) });
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dataDir));
            var files = Directory.GetFiles(_dataDir);
            foreach (var expected in new[] { "keyward.db", "keyward.db-wal", "keyward.db-shm", "audit.journal", "root.key", "bootstrap-credential.json", "keyward.lock" })
                Assert.Contains(Path.Combine(_dataDir, expected), files);
            foreach (var file in files)
                Assert.True(File.GetUnixFileMode(file) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{file} is {File.GetUnixFileMode(file)}");
        }
    }

    [Theory]
    [InlineData("notaurl")]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("http://127.0.0.1:notaport")]
    public async Task A_bad_listen_address_is_refused_before_anything_is_written(string listen)
    {
        var fresh = Path.Combine(_dataDir, "never-made");
        var refused = await Keyward("serve", "--listen", listen, "--data-dir", fresh);
        Assert.True(refused.Code is 1 or 2, $"exit {refused.Code}\n{refused.Stderr}");
        Assert.StartsWith("keyward: --listen must be an http:// or https:// address", refused.Stderr);
        Assert.DoesNotContain("Exception", refused.Stderr);
        Assert.False(Directory.Exists(fresh));
    }

    /// <summary>Names, sizes and modification times of everything in the data directory but the lock's owner line.</summary>
    private string Snapshot() => string.Join("\n", Directory.GetFiles(_dataDir).Order(StringComparer.Ordinal)
        .Select(f => new FileInfo(f)).Select(f => $"{f.Name} {f.Length} {f.LastWriteTimeUtc:O}"));

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);
}
