using System.Collections.Concurrent;

namespace Keyward.Pkcs11;

/// <summary>
/// Threads of one HSM's own, for its calls while it answers slowly (<see cref="Hsm.RunAsync{T}"/>), so that a slow
/// or stalled HSM holds these and not the thread pool's workers, which every other request needs. There are as many
/// as the HSM has sessions, all started by the first call that comes here. A caller holds one of the HSM's session
/// permits before it queues a call, so a queued call always has a thread that is free or about to be.
/// </summary>
internal sealed class HsmThreads(string name, int count) : IDisposable
{
    private readonly BlockingCollection<ICall> _queue = new(new ConcurrentQueue<ICall>());
    private readonly Lock _startLock = new();
    private bool _started;

    /// <summary>Runs <paramref name="call"/> on one of these threads; false if they were disposed (nothing ran).
    /// </summary>
    public bool TryRun<T>(Func<T> call, out Task<T> result)
    {
        Start();
        var queued = new Call<T>(call);
        result = queued.Task;
        try { _queue.Add(queued); }
        catch (InvalidOperationException) { return false; } // disposed: adding is complete
        return true;
    }

    private void Start()
    {
        if (Volatile.Read(ref _started)) return;
        lock (_startLock)
        {
            if (_started) return;
            for (var i = 0; i < count; i++)
                new Thread(Serve) { IsBackground = true, Name = name }.Start();
            Volatile.Write(ref _started, true);
        }
    }

    private void Serve()
    {
        foreach (var call in _queue.GetConsumingEnumerable()) call.Run();
    }

    /// <summary>The threads finish the calls already queued, then end; a call after this is refused.</summary>
    public void Dispose() => _queue.CompleteAdding();

    private interface ICall
    {
        void Run();
    }

    /// <summary>A queued call; its awaiter continues on the thread pool, never on the HSM's thread.</summary>
    private sealed class Call<T>(Func<T> call)
        : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), ICall
    {
        public void Run()
        {
            T value;
            try { value = call(); }
            catch (Exception e)
            {
                SetException(e);
                return;
            }
            SetResult(value);
        }
    }
}
