using System.Collections.Concurrent;
using Keyward.Core.Storage;

namespace Keyward.Core.Audit;

/// <summary>
/// Appends events before their responses are sent, and fails the request when it cannot. Appends combine:
/// the caller that takes the lock writes every event queued so far in one transaction, so under load many
/// requests share one commit, and a lone request writes its own at once (no hand-off to another thread).
/// </summary>
internal sealed class AuditLog(IKmsStorage storage) : IDisposable
{
    private readonly ConcurrentQueue<(AuditEvent Event, TaskCompletionSource Done)> _queue = new();
    private readonly SemaphoreSlim _lock = new(1, 1);
    private const int MaxBatch = 256;

    public async ValueTask AppendAsync(AuditEvent e, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Enqueue((e, done));
        while (!done.Task.IsCompleted)
        {
            await _lock.WaitAsync(ct);
            try
            {
                if (done.Task.IsCompleted) break;
                var batch = new List<(AuditEvent Event, TaskCompletionSource Done)>();
                while (batch.Count < MaxBatch && _queue.TryDequeue(out var item)) batch.Add(item);
                try
                {
                    await storage.AppendAuditEventsAsync(batch.Select(b => b.Event).ToList(), CancellationToken.None);
                    foreach (var b in batch) b.Done.TrySetResult();
                }
                catch (Exception failure)
                {
                    foreach (var b in batch) b.Done.TrySetException(failure);
                }
            }
            finally { _lock.Release(); }
        }
        await done.Task;
    }

    public void Dispose() => _lock.Dispose();
}
