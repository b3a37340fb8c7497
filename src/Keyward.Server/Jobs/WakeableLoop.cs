namespace Keyward.Server.Jobs;

/// <summary>
/// A background loop of a job: runs <c>pass</c> at start, then every <c>interval</c>, or at once when
/// woken (a wake during a pass runs one more pass after it). The pass handles its own failures; the
/// loop ends only on disposal, which waits for a running pass to finish.
/// </summary>
internal sealed class WakeableLoop(TimeSpan interval, Func<CancellationToken, Task> pass) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private Task? _loop;

    public void Start() => _loop ??= Task.Run(LoopAsync);

    public void Wake()
    {
        try { if (_wake.CurrentCount == 0) _wake.Release(); }
        catch (SemaphoreFullException) { }
        catch (ObjectDisposedException) { }
    }

    private async Task LoopAsync()
    {
        try
        {
            while (true)
            {
                await pass(_stop.Token);
                await _wake.WaitAsync(interval, _stop.Token);
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
        _wake.Dispose();
    }
}
