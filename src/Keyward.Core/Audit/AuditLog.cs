using System.Collections.Concurrent;
using Keyward.Core.Storage;

namespace Keyward.Core.Audit;

/// <summary>
/// The audit log of one node. A request's event is appended to the node's <see cref="AuditJournal"/> before
/// its response is sent, and the request fails if that write fails (fail closed). Appends combine: the caller
/// that takes the lock writes every event queued so far with one write(). A background indexer moves journal
/// entries into the database's hash chain in large batches, exactly once (the journal offset is stored in the
/// same transaction), replaying at start whatever a crash left unindexed. Queries, verification and
/// GetKeyLastUsage read the database, so they lag the journal by the indexer's delay (<see cref="FlushAsync"/>
/// waits for it).
/// </summary>
internal sealed class AuditLog : IAsyncDisposable
{
    /// <summary>The settings row that holds how far a journal is indexed.</summary>
    public const string OffsetSettingPrefix = "audit-journal:";
    private const int MaxBatch = 512;
    private const long RotateBytes = 16L << 20;
    private static readonly TimeSpan IndexInterval = TimeSpan.FromMilliseconds(100);

    private readonly IKmsStorage _storage;
    private readonly AuditJournal _journal;
    private readonly ConcurrentQueue<(AuditEvent Event, TaskCompletionSource Done)> _queue = new();
    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private long _indexed;
    private Task? _indexer;

    public AuditLog(IKmsStorage storage, AuditJournal journal)
    {
        _storage = storage;
        _journal = journal;
    }

    /// <summary>Raised when indexing into the database fails (it is retried); never carries event content.</summary>
    public event Action<Exception>? IndexFailed;

    /// <summary>Reads how far the journal is indexed, indexes the rest, and starts the background indexer.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        _indexed = await OffsetAsync(ct);
        await IndexAsync(ct);
        _indexer = Task.Run(LoopAsync);
    }

    public async ValueTask AppendAsync(AuditEvent e, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Enqueue((e, done));
        while (!done.Task.IsCompleted)
        {
            await _append.WaitAsync(ct);
            try
            {
                if (done.Task.IsCompleted) break;
                var batch = new List<(AuditEvent Event, TaskCompletionSource Done)>();
                while (batch.Count < MaxBatch && _queue.TryDequeue(out var item)) batch.Add(item);
                try
                {
                    _journal.Append(AuditJournal.Format(batch.Select(b => b.Event)));
                    foreach (var b in batch) b.Done.TrySetResult();
                }
                catch (Exception failure)
                {
                    foreach (var b in batch) b.Done.TrySetException(failure);
                }
            }
            finally { _append.Release(); }
        }
        await done.Task;
    }

    /// <summary>Waits until every event appended so far is in the database.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        long target;
        string id;
        await _append.WaitAsync(ct);
        try { (target, id) = (_journal.Length, _journal.Id); }
        finally { _append.Release(); }
        while (Volatile.Read(ref _indexed) < target && _journal.Id == id)
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

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // Batches of up to a tenth of a second: indexing per event would cost a commit per request.
                await _wake.WaitAsync(IndexInterval, _stop.Token);
                await IndexAsync(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { break; }
            catch (Exception e)
            {
                IndexFailed?.Invoke(e);
                try { await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    private async Task IndexAsync(CancellationToken ct)
    {
        while (true)
        {
            var (events, end) = _journal.Read(Volatile.Read(ref _indexed), 1000);
            if (events.Count == 0) break;
            await _storage.AppendAuditEventsAsync(events, _journal.Id, end, ct);
            Volatile.Write(ref _indexed, end);
        }
        // Everything indexed and the journal large: start a new one (under the append lock, so nothing is lost).
        if (_journal.Length <= RotateBytes) return;
        await _append.WaitAsync(ct);
        try
        {
            if (_journal.Length != Volatile.Read(ref _indexed)) return;
            _journal.Rotate();
            Volatile.Write(ref _indexed, _journal.HeaderLength);
        }
        finally { _append.Release(); }
    }

    private async Task<long> OffsetAsync(CancellationToken ct) =>
        await _storage.GetSettingAsync(OffsetSettingPrefix + _journal.Id, ct) is { Length: 8 } bytes
            ? Math.Min(BitConverter.ToInt64(bytes), _journal.Length)
            : _journal.HeaderLength;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_indexer is not null) await _indexer;
        // What the last requests appended goes into the database now, if it can.
        try { await IndexAsync(CancellationToken.None); }
        catch (Exception e) { IndexFailed?.Invoke(e); }
        _stop.Dispose();
        _wake.Dispose();
        _append.Dispose();
        _journal.Dispose();
    }
}
