using System.Text;
using Keyward.Core.Audit;
using Keyward.Storage.Sqlite;

namespace Keyward.Storage.Tests;

/// <summary>
/// The node-local audit journal and its indexer into a real SQLite database: rotation to a new journal while
/// the old one still has unindexed entries, and replay of a retired journal left behind by a crash.
/// </summary>
public sealed class AuditJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-journal").FullName;

    private string JournalPath => Path.Combine(_dir, "audit.journal");

    private const string App = "arn:aws:iam::111122223333:user/app";
    private const string Key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    private static AuditEvent Event(int i) => new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000 + i), "Encrypt", $"event-{i}", $"request-{i}",
        App, [Key], true,
        AuditRecords.Json(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000 + i), "Encrypt", App, [Key],
            $"\"eventID\":\"event-{i}\",\"padding\":\"{new string('x', 200)}\""));

    private static async Task<List<AuditRecord>> ReadAll(SqliteKmsStorage storage)
    {
        var all = new List<AuditRecord>();
        while (true)
        {
            var page = await storage.ReadAuditEventsAsync(all.Count == 0 ? 0 : all[^1].Sequence, 500);
            if (page.Count == 0) return all;
            all.AddRange(page);
        }
    }

    private static void AssertChain(List<AuditRecord> records, int count)
    {
        Assert.Equal(count, records.Count);
        AuditRecords.AssertChained(records);
        for (var i = 0; i < records.Count; i++) Assert.Contains($"\"event-{i + 1}\"", records[i].Json);
    }

    [Fact]
    public void Released_pages_leave_resident_memory_and_keep_their_entries()
    {
        var journal = new AuditJournal(JournalPath);
        for (var i = 1; i <= 20_000; i++) journal.Append(AuditJournal.Format(Event(i)));
        var before = MappedKiB();
        Assert.True(before > 4096, $"the journal's mapping holds {before} KiB after 20,000 appends");
        journal.Release(journal.Length);
        var after = MappedKiB();
        Assert.True(after < before / 4, $"{before} KiB resident before Release, {after} KiB after");
        // The entries are still in the file, and appends go on after the released part.
        journal.Append(AuditJournal.Format(Event(20_001)));
        var events = new List<AuditEvent>();
        for (var at = 0L; journal.Read(at, 5000) is var (batch, end) && batch.Count > 0; at = end) events.AddRange(batch);
        Assert.Equal(20_001, events.Count);
        Assert.Equal("event-20001", events[^1].EventId);
        journal.Dispose();
    }

    /// <summary>The resident size of this process's mapping of the journal (Linux's /proc/self/smaps).</summary>
    private long MappedKiB()
    {
        var lines = File.ReadAllLines("/proc/self/smaps");
        long total = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].EndsWith(JournalPath, StringComparison.Ordinal)) continue;
            for (var j = i + 1; j < lines.Length && !lines[j].Contains('-'); j++)
                if (lines[j].StartsWith("Rss:", StringComparison.Ordinal)) { total += long.Parse(lines[j].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]); break; }
        }
        return total;
    }

    [Fact]
    public void A_batch_read_for_indexing_gives_each_entry_its_own_fields_when_neighbours_share_principal_or_keys()
    {
        // The batch reuses the previous event's principal and key strings when they are equal: a wrong match would
        // index an event under another principal or key.
        const string app = "arn:aws:iam::111122223333:user/app", apx = "arn:aws:iam::111122223333:user/apx", ops = "arn:aws:iam::111122223333:role/équipe";
        const string k1 = "arn:aws:kms:us-east-1:111122223333:key/1", k2 = "arn:aws:kms:us-east-1:111122223333:key/2";
        (string Principal, string[] Keys)[] cases =
            [(app, [k1]), (app, [k1]), (apx, [k1]), (apx, [k1, k2]), (apx, [k1]), (ops, []), (ops, [k2, k1]), (app, [k2, k1]), (app, [k2])];
        var journal = new AuditJournal(JournalPath);
        for (var i = 0; i < cases.Length; i++)
            journal.Append(AuditJournal.Format(Event(i) with { PrincipalArn = cases[i].Principal, KeyArns = cases[i].Keys, EventName = i % 2 == 0 ? "Encrypt" : "NotAnOperation" }));
        journal.Dispose();

        byte[]? buffer = null;
        var batch = new AuditJournal(JournalPath).Read(0, 100, ref buffer);
        Assert.Equal(cases.Length, batch.Events.Count);
        for (var i = 0; i < cases.Length; i++)
        {
            var e = batch.Events[i];
            Assert.Equal(cases[i].Principal, e.PrincipalArn);
            Assert.Equal(cases[i].Keys, e.KeyArns);
            Assert.Equal(i % 2 == 0 ? "Encrypt" : "NotAnOperation", e.EventName);
            Assert.Equal($"event-{i}", e.EventId);
            Assert.Equal(Event(i).Json.ToArray(), e.Json.ToArray());
        }
        var (first, second) = (batch.Events[0], batch.Events[1]);
        Assert.Same(first.PrincipalArn, second.PrincipalArn);
        Assert.Same(first.KeyArns, second.KeyArns);
        Assert.Equal(new FileInfo(JournalPath).Length, batch.End);
    }

    [Fact]
    public async Task A_large_journal_is_retired_and_every_entry_is_indexed_once_in_order()
    {
        using var storage = new SqliteKmsStorage(Path.Combine(_dir, "k.db"));
        await storage.MigrateAsync();
        var journal = new AuditJournal(JournalPath);
        var log = new AuditLog(storage, journal, rotateBytes: 4096);
        await log.StartAsync(CancellationToken.None);
        var ids = new HashSet<string>();
        for (var i = 1; i <= 300; i++)
        {
            log.Append(Event(i));
            if (i % 25 == 0) await log.FlushAsync(CancellationToken.None);
            // The journal's id, not the file's first line: the indexer retires the journal on its own thread, and
            // between moving the old file away and creating the new one there is no file at the path.
            ids.Add(journal.Id);
        }
        await log.FlushAsync(CancellationToken.None);
        await log.DisposeAsync();

        Assert.True(ids.Count > 5, $"the journal was retired {ids.Count - 1} times");
        AssertChain(await ReadAll(storage), 300);
        // The last fully indexed retired journal is kept as the spare; the current one stays.
        Assert.Equal(["audit.journal", "audit.journal.spare"], Directory.GetFiles(_dir, "audit.journal*").Select(Path.GetFileName).Order());
    }

    /// <summary>
    /// An indexed retired journal becomes the spare, and the next journal is made from it: zeros over the old entries,
    /// a new id, and the zeros kept as the first appends' room. None of the old entries is read from it, then or after
    /// a restart, and its entries are those appended to it.
    /// </summary>
    [Fact]
    public void The_next_journal_is_made_from_the_spare_and_holds_none_of_its_entries()
    {
        var spare = AuditJournal.SparePath(JournalPath);
        var journal = new AuditJournal(JournalPath, capacity: 1 << 20);
        for (var i = 1; i <= 200; i++) journal.Append(AuditJournal.Format(Event(i)));
        var first = journal.Id;
        var (retired, writer) = journal.Retire(journal.PrepareNext());
        writer.Dispose();
        var sizeOfFirst = new FileInfo(retired).Length;
        journal.Spare(new AuditJournal(retired));
        Assert.False(File.Exists(retired));
        Assert.Equal(sizeOfFirst, new FileInfo(spare).Length);

        journal.Append(AuditJournal.Format(Event(201)));
        var second = journal.Id;
        (_, writer) = journal.Retire(journal.PrepareNext(size: 64 << 10));
        writer.Dispose();
        Assert.False(File.Exists(spare));
        Assert.True(new FileInfo(JournalPath).Length >= sizeOfFirst); // the spare's file, not a new one
        for (var i = 202; i <= 204; i++) journal.Append(AuditJournal.Format(Event(i)));

        Assert.NotEqual(first, journal.Id);
        Assert.NotEqual(second, journal.Id);
        string[] expected = ["event-202", "event-203", "event-204"];
        Assert.Equal(expected, journal.Read(0, 1000).Events.Select(e => e.EventId));
        // Another reader while the mapping is open (the indexer), then after a crash (no close), then after a close.
        Assert.Equal(expected, new AuditJournal(JournalPath).Read(0, 1000).Events.Select(e => e.EventId));
        journal.Dispose();
        var reopened = new AuditJournal(JournalPath);
        Assert.Equal(expected, reopened.Read(0, 1000).Events.Select(e => e.EventId));
        reopened.Append(AuditJournal.Format(Event(205)));
        reopened.Dispose();
        Assert.Equal([.. expected, "event-205"], new AuditJournal(JournalPath).Read(0, 1000).Events.Select(e => e.EventId));
    }

    /// <summary>
    /// A spare that still holds its entries and its old header (a crash between keeping it and reusing it, or a file
    /// put there by hand) is zeroed whole before it becomes the journal.
    /// </summary>
    [Fact]
    public void A_spare_that_still_holds_entries_becomes_an_empty_journal()
    {
        var spare = AuditJournal.SparePath(JournalPath);
        var stale = new AuditJournal(spare);
        for (var i = 1; i <= 50; i++) stale.Append(AuditJournal.Format(Event(i)));
        stale.Dispose();
        var journal = new AuditJournal(JournalPath);
        journal.Append(AuditJournal.Format(Event(100)));
        var (_, writer) = journal.Retire(journal.PrepareNext());
        writer.Dispose();
        Assert.Empty(journal.Read(0, 1000).Events);
        journal.Append(AuditJournal.Format(Event(101)));
        journal.Dispose();
        Assert.Equal(["event-101"], new AuditJournal(JournalPath).Read(0, 1000).Events.Select(e => e.EventId));
        // Not merely unread: the old entries' bytes are gone from the file.
        Assert.Equal(1, Occurrences(File.ReadAllBytes(JournalPath), "\tevent-"u8));
    }

    private static int Occurrences(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> value)
    {
        var count = 0;
        for (int at; (at = bytes.IndexOf(value)) >= 0; bytes = bytes[(at + value.Length)..]) count++;
        return count;
    }

    /// <summary>
    /// Retiring swaps files under the append lock and leaves closing the old writer (a flush of its whole mapping) to
    /// the caller, after the lock: appends made before that close go to the new journal, and the close still cuts the
    /// retired file down to its entries.
    /// </summary>
    [Fact]
    public void Appends_between_retiring_and_closing_the_old_writer_go_to_the_new_journal()
    {
        var journal = new AuditJournal(JournalPath);
        for (var i = 1; i <= 3; i++) journal.Append(AuditJournal.Format(Event(i)));
        var oldId = journal.Id;
        var next = journal.PrepareNext();
        var (retired, writer) = journal.Retire(next);
        for (var i = 4; i <= 5; i++) journal.Append(AuditJournal.Format(Event(i)));
        writer.Dispose();
        writer.Dispose(); // closing twice is harmless

        Assert.False(File.Exists(next));
        Assert.NotEqual(oldId, journal.Id);
        var old = new AuditJournal(retired);
        Assert.Equal(oldId, old.Id);
        Assert.Equal(new FileInfo(retired).Length, old.Length); // the zeros after the data were cut off
        Assert.Equal(["event-1", "event-2", "event-3"], old.Read(old.HeaderLength, 100).Events.Select(e => e.EventId));
        Assert.Equal(["event-4", "event-5"], journal.Read(journal.HeaderLength, 100).Events.Select(e => e.EventId));
        old.Dispose();
        journal.Dispose();
    }

    [Fact]
    public async Task A_retired_journal_left_by_a_crash_is_indexed_at_the_next_start_before_the_current_one()
    {
        using var storage = new SqliteKmsStorage(Path.Combine(_dir, "k.db"));
        await storage.MigrateAsync();
        // A node appended 10 events, retired its journal (unindexed), appended 5 more and died before indexing any.
        var journal = new AuditJournal(JournalPath);
        for (var i = 1; i <= 10; i++) journal.Append(AuditJournal.Format(Event(i)));
        var (retired, writer) = journal.Retire(journal.PrepareNext());
        writer.Dispose();
        for (var i = 11; i <= 15; i++) journal.Append(AuditJournal.Format(Event(i)));
        journal.Dispose();
        Assert.True(File.Exists(retired));

        var log = new AuditLog(storage, new AuditJournal(JournalPath));
        await log.StartAsync(CancellationToken.None);
        await log.DisposeAsync();

        AssertChain(await ReadAll(storage), 15);
        Assert.False(File.Exists(retired));
    }

    /// <summary>
    /// A journal line that is not an entry (an edit, damage on disk, two processes appending at once) is kept aside in
    /// <c>audit.journal.rejected</c> and reported; the entries around it are indexed, and the server starts.
    /// </summary>
    [Fact]
    public async Task A_line_that_is_not_an_entry_is_kept_aside_and_reported_and_the_rest_is_indexed()
    {
        using var storage = new SqliteKmsStorage(Path.Combine(_dir, "k.db"));
        await storage.MigrateAsync();
        var good = Enumerable.Range(1, 5).Select(i => AuditJournal.Format(Event(i))).ToArray();
        var bad = new[]
        {
            "no tabs at all",
            "12x\tEncrypt\te\tr\tp\tk\t1\t{}", // time is not a number
            "1\tEncrypt\te\tr\tp\tk\t2\t{}", // the used-key flag is neither 0 nor 1
            "1\tEncrypt\te\tr\tp\tk\t1\t{\"v\":2,", // JSON cut short
            "1\tEncrypt\te\tr\tp\tk\t1\t{}{}", // two JSON values
            "99999999999999999999\tEncrypt\te\tr\tp\tk\t1\t{}", // a time out of range
            Encoding.UTF8.GetString(good[0].AsSpan(0, 50)) + Encoding.UTF8.GetString(good[1].AsSpan(30, good[1].Length - 31)), // interleaved halves
        };
        var journal = new AuditJournal(JournalPath);
        journal.Append(good[0]);
        journal.Append(good[1]);
        foreach (var line in bad) journal.Append(Encoding.UTF8.GetBytes(line + "\n"));
        journal.Append([0xC3, 0x28, (byte)'\n']); // invalid UTF-8
        journal.Append(good[2]);
        journal.Dispose();

        var log = new AuditLog(storage, new AuditJournal(JournalPath));
        var reported = new List<long>();
        log.EntryRejected += (file, offset, aside) =>
        {
            Assert.Equal(JournalPath, file);
            Assert.Equal(JournalPath + ".rejected", aside);
            reported.Add(offset);
        };
        await log.StartAsync(CancellationToken.None);
        log.Append(good[3]);
        log.Append(good[4]);
        await log.FlushAsync(CancellationToken.None);
        await log.DisposeAsync();

        var records = await ReadAll(storage);
        Assert.Equal(["event-1", "event-2", "event-3", "event-4", "event-5"],
            records.Select(r => System.Text.Json.JsonDocument.Parse(r.Json).RootElement.GetProperty("eventID").GetString()));
        AuditRecords.AssertChained(records);
        Assert.Equal(bad.Length + 1, reported.Count);
        var aside = File.ReadAllLines(JournalPath + ".rejected");
        Assert.Equal(bad.Length + 1, aside.Length);
        for (var i = 0; i < bad.Length; i++) Assert.EndsWith("\t" + reported[i] + "\t" + bad[i], aside[i]);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(JournalPath + ".rejected"));

        // Kept aside once: the next start indexes nothing again and reports nothing.
        var again = new AuditLog(storage, new AuditJournal(JournalPath));
        again.EntryRejected += (_, offset, _) => reported.Add(offset);
        await again.StartAsync(CancellationToken.None);
        await again.DisposeAsync();
        Assert.Equal(bad.Length + 1, reported.Count);
        Assert.Equal(5, (await ReadAll(storage)).Count);
    }

    /// <summary>
    /// Appends go through a memory mapping ahead of which the file holds zeros. A crash can leave an entry cut short,
    /// even with a hole in it (a copy need not go in order): it is not read, and later appends follow the last whole
    /// entry, leaving nothing of it behind.
    /// </summary>
    [Fact]
    public void An_entry_cut_short_by_a_crash_is_dropped_and_later_appends_follow_the_last_whole_one()
    {
        var journal = new AuditJournal(JournalPath);
        journal.Append(AuditJournal.Format(Event(1)));
        journal.Append(AuditJournal.Format(Event(2)));
        Assert.Equal(2, new AuditJournal(JournalPath).Read(0, 10).Events.Count); // another reader, while the mapping is open
        journal.Dispose();
        Assert.Equal((byte)'\n', File.ReadAllBytes(JournalPath)[^1]); // a clean close leaves no zeros behind

        var torn = AuditJournal.Format(Event(3));
        using (var file = new FileStream(JournalPath, FileMode.Append))
        {
            file.Write(torn.AsSpan(0, 40));
            file.Write(new byte[30]);
            file.Write(torn.AsSpan(70));
            file.Write(new byte[4096]);
        }
        var reopened = new AuditJournal(JournalPath);
        Assert.Equal(["event-1", "event-2"], reopened.Read(0, 10).Events.Select(e => e.EventId));
        reopened.Append(AuditJournal.Format(Event(4)));
        reopened.Dispose();
        Assert.Equal(["event-1", "event-2", "event-4"], new AuditJournal(JournalPath).Read(0, 10).Events.Select(e => e.EventId));
    }

    /// <summary>
    /// A full disk fails the append that does not fit, with an IOException (the request is then refused), and leaves every
    /// earlier entry readable; it must not kill the process, which a store through the mapping into a file hole the disk
    /// has no room for would do (SIGBUS). A 256 KiB tmpfs is the full disk (the tests run as root, as scripts/test does).
    /// </summary>
    [Fact]
    public void A_full_disk_fails_the_append_that_does_not_fit_and_keeps_the_rest()
    {
        var disk = Directory.CreateTempSubdirectory("keyward-full-disk").FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", disk);
        try
        {
            var path = Path.Combine(disk, "audit.journal");
            var journal = new AuditJournal(path, capacity: 1 << 20);
            var appended = 0;
            Assert.ThrowsAny<IOException>((Action)(() =>
            {
                while (true)
                {
                    journal.Append(AuditJournal.Format(Event(appended + 1)));
                    appended++;
                }
            }));
            journal.Dispose();
            Assert.True(appended > 100, $"{appended} entries fit");
            var read = new AuditJournal(path).Read(0, 100_000).Events;
            Assert.Equal(appended, read.Count);
            Assert.Equal($"event-{appended}", read[^1].EventId);
        }
        finally
        {
            Run("umount", disk);
            Directory.Delete(disk);
        }
    }

    private static void Run(string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(info)!;
        var errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {errors}");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
