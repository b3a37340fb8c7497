using Keyward.Core.Storage;

namespace Keyward.Core.Audit;

/// <summary>
/// The audit log of one node. A request's event is appended to the node's <see cref="AuditJournal"/> before
/// its response is sent, and the request fails if that write fails (fail closed); each append is a copy into the journal's mapping under a lock. A background indexer moves journal
/// entries into the database's hash chain in large batches, exactly once (the journal offset is stored in the
/// same transaction), replaying at start whatever a crash left unindexed. Queries, verification and
/// GetKeyLastUsage read the database, so they lag the journal by the indexer's delay (<see cref="FlushAsync"/>
/// waits for it).
/// </summary>
public sealed class AuditLog : IAsyncDisposable
{
    /// <summary>The settings row that holds how far a journal is indexed.</summary>
    public const string OffsetSettingPrefix = "audit-journal:";
    private const int MaxBatch = 4096;
    private static readonly TimeSpan IndexInterval = TimeSpan.FromMilliseconds(100);

    private readonly IKmsStorage _storage;
    private readonly AuditJournal _journal;
    private readonly long _rotateBytes;
    // Retired journals (oldest first) and how far each is indexed; only the indexer touches this list.
    private readonly List<(AuditJournal Journal, long Indexed)> _retired = [];
    private volatile int _retiredPending;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private long _indexed;
    private long _lastAppendFailure;
    private volatile Exception? _indexFailure;
    // The indexer's journal read buffer, reused (only the indexer reads: at start, in its loop, and at disposal).
    private byte[]? _readBuffer;
    private Thread? _indexer;
    private readonly TaskCompletionSource _indexerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="rotateBytes">The journal is retired to a new one once it is larger than this (tests pass a small value).</param>
    public AuditLog(IKmsStorage storage, AuditJournal journal, long rotateBytes = 64L << 20)
    {
        _storage = storage;
        _journal = journal;
        _rotateBytes = rotateBytes;
    }

    /// <summary>Raised when indexing into the database fails (it is retried); never carries event content.</summary>
    public event Action<Exception>? IndexFailed;

    /// <summary>
    /// Raised for a journal line that is not an entry (the journal's file, the line's offset in it, and the file the
    /// line was kept in: <see cref="RejectedPath"/>); never carries the line itself.
    /// </summary>
    public event Action<string, long, string>? EntryRejected;

    /// <summary>
    /// Where lines of the journal that are not entries are kept (owner only), each as "journal id, tab, offset, tab,
    /// the line as it was": indexing goes on past them, and an operator can read them later.
    /// </summary>
    public string RejectedPath => _journal.FilePath + ".rejected";

    /// <summary>Reads how far the journal is indexed, indexes the rest, and starts the background indexer.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        foreach (var path in AuditJournal.Retired(_journal.FilePath))
        {
            var retired = new AuditJournal(path);
            _retired.Add((retired, await OffsetAsync(retired, ct)));
        }
        _retiredPending = _retired.Count;
        _indexed = await OffsetAsync(_journal, ct);
        await IndexAsync(ct);
        _indexer = new Thread(Loop) { IsBackground = true, Name = "Keyward audit indexer" };
        _indexer.Start();
    }

    /// <summary>
    /// Appends one journal line (<see cref="AuditJournal.WriteHead"/>, the event JSON, a newline) under a lock;
    /// throws if it cannot be written (the request then fails). A plain lock, not an async queue: the append reaches
    /// only the page cache and takes about a microsecond, while handing requests between threads cost a third of
    /// Encrypt's throughput.
    /// </summary>
    public void Append(ReadOnlySpan<byte> line)
    {
        try
        {
            lock (_gate) _journal.Append(line);
        }
        catch
        {
            Volatile.Write(ref _lastAppendFailure, Environment.TickCount64);
            throw;
        }
    }

    /// <summary>Bytes of the current journal not yet in the database (the indexer's lag; /metrics and /readyz).</summary>
    public long UnindexedBytes => Math.Max(0, _journal.Length - Volatile.Read(ref _indexed));

    /// <summary>Retired journals not yet fully indexed.</summary>
    public int RetiredPending => _retiredPending;

    /// <summary>The last indexing failure, until indexing succeeds again (never carries event content).</summary>
    public Exception? IndexFailure => _indexFailure;

    /// <summary>Whether an append failed within <paramref name="window"/> (the journal could not be written).</summary>
    public bool AppendFailedWithin(TimeSpan window) =>
        Volatile.Read(ref _lastAppendFailure) is var at && at != 0 && Environment.TickCount64 - at < window.TotalMilliseconds;

    public string JournalPath => _journal.FilePath;

    public void Append(AuditEvent e) => Append(AuditJournal.Format(e));

    /// <summary>Waits until every event appended so far is in the database.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        long target;
        string id;
        lock (_gate) (target, id) = (_journal.Length, _journal.Id);
        // Once that journal is retired, what is left of it is in the retired list until the indexer deletes it.
        while (_journal.Id == id ? Volatile.Read(ref _indexed) < target : _retiredPending > 0)
        {
            Wake();
            await Task.Delay(5, ct);
        }
    }

    private void Wake()
    {
        try { if (_wake.CurrentCount == 0) _wake.Release(); }
        catch (SemaphoreFullException) { }
        catch (ObjectDisposedException) { }
    }

    // The indexer is a thread of its own, not a thread-pool loop: a batch is thousands of synchronous SQLite inserts
    // (tens of milliseconds under load), and on a pool worker it held back the requests queued behind it; that was
    // Encrypt's p99.9 under wrk. Its waits (the interval, the storage's write lock, PostgreSQL's I/O) block only it.
    private void Loop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    // Batches of up to a tenth of a second: indexing per event would cost a commit per request.
                    _wake.Wait(IndexInterval, _stop.Token);
                    IndexAsync(_stop.Token).GetAwaiter().GetResult();
                    _indexFailure = null;
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested) { break; }
                catch (Exception e)
                {
                    _indexFailure = e;
                    IndexFailed?.Invoke(e);
                    if (_stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1))) break;
                }
            }
        }
        finally { _indexerDone.TrySetResult(); }
    }

    private async Task IndexAsync(CancellationToken ct)
    {
        // Retired journals first, to their end (nothing is appended to them any more), then kept as the spare.
        while (_retired.Count > 0)
        {
            var (retired, indexed) = _retired[0];
            while (await IndexBatchAsync(retired, indexed, ct) is { } batch)
            {
                indexed = batch.End;
                _retired[0] = (retired, indexed);
                if (!batch.Full) break;
            }
            if (indexed < retired.Length) return;
            _journal.Spare(retired);
            _retired.RemoveAt(0);
            _retiredPending = _retired.Count;
        }
        while (await IndexBatchAsync(_journal, Volatile.Read(ref _indexed), ct) is { } batch)
        {
            Volatile.Write(ref _indexed, batch.End);
            _journal.Release(batch.End);
            // Under steady load there is always a new entry by now: going round again would commit (and fsync)
            // a handful of events at a time, back to back. Only a full batch (a backlog) goes round at once.
            if (!batch.Full) break;
        }
        // A large journal is retired to a new one; its unindexed tail is indexed next pass. The new file is made
        // before, and the old writer closed after, the append lock: under it there are only two renames.
        if (_journal.Length <= _rotateBytes) return;
        var next = _journal.PrepareNext(_rotateBytes + (4L << 20));
        string retiredPath;
        long retiredIndexed;
        AuditJournal.Writer oldWriter;
        lock (_gate)
        {
            retiredIndexed = Volatile.Read(ref _indexed);
            (retiredPath, oldWriter) = _journal.Retire(next);
            Volatile.Write(ref _indexed, _journal.HeaderLength);
            _retiredPending = _retired.Count + 1;
        }
        oldWriter.Dispose();
        _retired.Add((new AuditJournal(retiredPath), retiredIndexed));
        _retiredPending = _retired.Count;
    }

    /// <summary>Indexes up to <see cref="MaxBatch"/> entries of <paramref name="journal"/> from <paramref name="offset"/>; null when there were none.</summary>
    private async Task<(long End, bool Full)?> IndexBatchAsync(AuditJournal journal, long offset, CancellationToken ct)
    {
        var read = journal.Read(offset, MaxBatch, ref _readBuffer);
        if (read.End == Math.Max(offset, journal.HeaderLength)) return null;
        // Lines that are not entries are kept (and flushed to disk) before the offset past them is committed.
        if (read.Rejected.Count > 0) KeepAside(journal, read.Rejected);
        await _storage.AppendAuditEventsAsync(read.Events, journal.Id, read.End, ct);
        return (read.End, read.Events.Count + read.Rejected.Count >= MaxBatch);
    }

    private void KeepAside(AuditJournal journal, IReadOnlyList<(long Offset, ReadOnlyMemory<byte> Line)> lines)
    {
        using (var aside = Seal.PrivateFile.Open(RejectedPath, FileMode.Append, FileAccess.Write))
        {
            foreach (var (offset, line) in lines)
            {
                aside.Write(System.Text.Encoding.UTF8.GetBytes($"{journal.Id}\t{offset}\t"));
                aside.Write(line.Span);
                aside.Write("\n"u8);
            }
            aside.Flush(flushToDisk: true);
        }
        foreach (var (offset, _) in lines) EntryRejected?.Invoke(journal.FilePath, offset, RejectedPath);
    }

    private async Task<long> OffsetAsync(AuditJournal journal, CancellationToken ct) =>
        await _storage.GetSettingAsync(OffsetSettingPrefix + journal.Id, ct) is { Length: 8 } bytes
            ? Math.Min(BitConverter.ToInt64(bytes), journal.Length)
            : journal.HeaderLength;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_indexer is not null) await _indexerDone.Task;
        // What the last requests appended goes into the database now, if it can.
        try { await IndexAsync(CancellationToken.None); }
        catch (Exception e) { IndexFailed?.Invoke(e); }
        _stop.Dispose();
        _wake.Dispose();
        _journal.Dispose();
        foreach (var (retired, _) in _retired) retired.Dispose();
    }
}
