using Keyward.Core.Crypto;
using Keyward.Core.Keys;
using Keyward.Protocol.Errors;

namespace Keyward.Core.Tests;

/// <summary>The bound on RSA key generation: how many run, how many wait, and the ThrottlingException past that.</summary>
public class KeyPairGenerationTests
{
    private static readonly KeySpecInfo Rsa = KeySpecInfo.Find("RSA_2048")!;
    private static readonly KeySpecInfo Ecc = KeySpecInfo.Find("ECC_NIST_P256")!;

    [Fact]
    public async Task At_most_the_limit_run_and_past_the_waiting_bound_a_request_is_throttled()
    {
        var gate = new KeyPairGeneration(limit: 1, maxWaiting: 2);
        using var release = new ManualResetEventSlim();
        var started = 0;
        int Work()
        {
            Interlocked.Increment(ref started);
            release.Wait(TimeSpan.FromMinutes(2));
            return 1;
        }
        var running = gate.RunAsync(Rsa, Work, CancellationToken.None).AsTask();
        await WaitUntil(() => Volatile.Read(ref started) == 1);
        var waiting = new[] { gate.RunAsync(Rsa, Work, CancellationToken.None).AsTask(), gate.RunAsync(Rsa, Work, CancellationToken.None).AsTask() };
        // Two wait (the bound), so a fourth is refused at once, without waiting.
        var refused = await Assert.ThrowsAsync<KmsException>(() => gate.RunAsync(Rsa, Work, CancellationToken.None).AsTask());
        Assert.Equal(KmsErrorCode.ThrottlingException, refused.Code);
        // ECC is not gated: it runs while the RSA work holds the only slot.
        Assert.Equal(2, await gate.RunAsync(Ecc, () => 2, CancellationToken.None));
        Assert.Equal(1, Volatile.Read(ref started));
        release.Set();
        var results = await Task.WhenAll(waiting.Prepend(running));
        Assert.Equal([1, 1, 1], results);
        Assert.Equal(1, gate.Peak);
    }

    [Fact]
    public async Task A_waiting_request_that_is_cancelled_leaves_the_bound_as_it_was()
    {
        var gate = new KeyPairGeneration(limit: 1, maxWaiting: 1);
        using var release = new ManualResetEventSlim();
        var running = gate.RunAsync(Rsa, () => release.Wait(TimeSpan.FromMinutes(2)), CancellationToken.None).AsTask();
        using var cancel = new CancellationTokenSource();
        var waiting = gate.RunAsync(Rsa, () => true, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        // Its place in the queue is free again.
        var next = gate.RunAsync(Rsa, () => true, CancellationToken.None).AsTask();
        release.Set();
        Assert.True(await running);
        Assert.True(await next);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 1200 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition());
    }
}
