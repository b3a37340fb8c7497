using Keyward.Core.KeyStores;
using Keyward.Tests.Shared;

namespace Keyward.Pkcs11.Tests;

/// <summary>
/// Where <see cref="Hsm.RunAsync{T}"/> runs a call: on the caller's thread while the HSM is quick, on the HSM's own
/// threads while it is slow, and never on more pool workers than <see cref="Hsm.InlineLimit"/> when it stalls. The
/// HSM is SoftHSM behind faulty-hsm.c, which makes every call wait on demand.
/// </summary>
public sealed class HsmThreadTests : IDisposable
{
    private static readonly byte[] Pin = System.Text.Encoding.UTF8.GetBytes(SoftHsm.Pin);
    private readonly FaultyHsm _remote = new();
    private readonly Hsm _hsm;

    public HsmThreadTests()
    {
        _hsm = new Hsm(Pkcs11Module.Load(_remote.Module, _remote.Environment), _remote.Token, Pin, maxSessions: 16,
            TimeSpan.FromSeconds(30));
        _hsm.Open();
    }

    public void Dispose()
    {
        _hsm.Dispose();
        _remote.Dispose();
    }

    private static int Random(Pkcs11Session s)
    {
        s.GenerateRandom(new byte[16]);
        return Environment.CurrentManagedThreadId;
    }

    /// <summary>
    /// Calls until the mean call time is below <see cref="Hsm.SlowCall"/>: the first call opens and logs in a session,
    /// and on a busy machine any call can be preempted. Only this test's calls move the mean of this test's HSM.
    /// </summary>
    private async Task UntilQuick()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        do await _hsm.RunAsync(Random);
        while (_hsm.Slow && DateTime.UtcNow < deadline);
        Assert.False(_hsm.Slow);
    }

    [Fact]
    public async Task A_quick_hsm_answers_on_the_callers_thread()
    {
        await UntilQuick();
        var (caller, ran) = await Task.Run(async () =>
            (Environment.CurrentManagedThreadId, await _hsm.RunAsync(Random)));
        Assert.Equal(caller, ran);
    }

    [Fact]
    public async Task A_slow_hsm_answers_on_its_own_threads_until_it_is_quick_again()
    {
        _remote.Slow(TimeSpan.FromMilliseconds(20));
        await _hsm.RunAsync(Random); // its time (20 ms or more) lifts the mean far above SlowCall
        Assert.True(_hsm.Slow);
        var thread = await Task.Run(async () => await _hsm.RunAsync(_ => Thread.CurrentThread));
        Assert.False(thread.IsThreadPoolThread);
        Assert.Equal("hsm " + _remote.Token, thread.Name);

        _remote.Fast();
        await UntilQuick(); // quick calls bring the mean down by an eighth of the way each
        var (caller, ran) = await Task.Run(async () =>
            (Environment.CurrentManagedThreadId, await _hsm.RunAsync(Random)));
        Assert.Equal(caller, ran);
    }

    [Fact]
    public async Task An_hsm_that_stalls_while_quick_holds_no_more_pool_workers_than_the_inline_limit()
    {
        await UntilQuick();
        // The stall: every call now waits half a second, and the calls come faster than that, from pool workers.
        // Calls that run inline would each hold a worker until the first answer makes the HSM count as slow.
        _remote.Slow(TimeSpan.FromMilliseconds(500));
        var onPool = 0;
        var calls = Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await _hsm.RunAsync(s =>
        {
            if (Thread.CurrentThread.IsThreadPoolThread) Interlocked.Increment(ref onPool);
            return Random(s);
        }))).ToArray();
        await Task.WhenAll(calls);
        Assert.InRange(onPool, 0, Hsm.InlineLimit);
    }

    [Fact]
    public async Task A_caller_on_a_thread_of_its_own_runs_inline_while_the_pools_share_is_taken()
    {
        await UntilQuick();
        using var release = new ManualResetEventSlim();
        using var inside = new CountdownEvent(Hsm.InlineLimit);
        // Pool callers take every inline place and hold it; none finishes, so the mean stays quick.
        var holders = Enumerable.Range(0, Hsm.InlineLimit).Select(_ => Task.Run(async () => await _hsm.RunAsync(s =>
        {
            inside.Signal();
            release.Wait();
            return Thread.CurrentThread;
        }))).ToArray();
        Assert.True(inside.Wait(TimeSpan.FromSeconds(60)));
        int caller = 0, ran = -1;
        var own = new Thread(() =>
        {
            caller = Environment.CurrentManagedThreadId;
            ran = _hsm.RunAsync(Random).AsTask().GetAwaiter().GetResult();
        });
        own.Start();
        own.Join();
        var fromPool = await Task.Run(async () => await _hsm.RunAsync(_ => Thread.CurrentThread));
        release.Set();
        var held = await Task.WhenAll(holders);
        Assert.All(held, t => Assert.True(t.IsThreadPoolThread));
        Assert.Equal(caller, ran);
        Assert.Equal("hsm " + _remote.Token, fromPool.Name); // the pool's share was taken: it went to the HSM's threads
    }

    [Fact]
    public async Task A_caller_waits_for_a_session_without_a_thread_and_at_most_the_configured_time()
    {
        using var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), SoftHsm.NewToken(), Pin, maxSessions: 1,
            TimeSpan.FromMilliseconds(200));
        hsm.Open();
        using var release = new ManualResetEventSlim();
        using var holding = new ManualResetEventSlim();
        var holder = Task.Run(() => hsm.Run(_ => { holding.Set(); release.Wait(); return 0; }));
        holding.Wait();
        var waiting = hsm.RunAsync(_ => 0);
        Assert.False(waiting.IsCompleted); // it returned to this thread while it waits
        var e = await Assert.ThrowsAsync<KeyStoreException>(() => waiting.AsTask());
        Assert.Equal(KeyStoreFailure.Timeout, e.Failure);
        release.Set();
        await holder;
        Assert.Equal(7, await hsm.RunAsync(_ => 7));
    }
}
