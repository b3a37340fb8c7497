using Keyward.Core.Keys;
using Keyward.Protocol.Errors;

namespace Keyward.Core.Crypto;

/// <summary>
/// RSA key pair generation (CreateKey, GetParametersForImport, GenerateDataKeyPair) runs a few at a time: one RSA-4096
/// pair is seconds of CPU, and without a bound a burst of them took every core from the cheap calls (Encrypt's
/// latency rose to seconds). At most <see cref="Limit"/> run at once (half the cores, at least one), off the request's
/// thread; the rest wait their turn without holding a thread, and past <see cref="MaxWaiting"/> waiting a request is
/// refused with ThrottlingException rather than queued behind minutes of work. ECC pairs take microseconds and are
/// not gated.
/// </summary>
public sealed class KeyPairGeneration(int limit, int maxWaiting)
{
    private readonly SemaphoreSlim _slots = new(limit, limit);
    private int _waiting;
    private int _running;
    private int _peak;

    public static KeyPairGeneration ForThisMachine() => new(Math.Max(1, Environment.ProcessorCount / 2), 64);

    public int Limit => limit;
    public int MaxWaiting => maxWaiting;

    /// <summary>The most generations seen running at once (tests check the bound with it).</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Runs <paramref name="generate"/> for key spec <paramref name="spec"/>, within the bound when it is RSA.</summary>
    public async ValueTask<T> RunAsync<T>(KeySpecInfo spec, Func<T> generate, CancellationToken ct)
    {
        if (spec.Family != KeyFamily.Rsa) return generate();
        if (Interlocked.Increment(ref _waiting) > maxWaiting)
        {
            Interlocked.Decrement(ref _waiting);
            throw new KmsException(KmsErrorCode.ThrottlingException,
                "Too many RSA key pairs are being generated; retry the request later.");
        }
        try { await _slots.WaitAsync(ct); }
        finally { Interlocked.Decrement(ref _waiting); }
        try
        {
            var running = Interlocked.Increment(ref _running);
            for (var peak = _peak; running > peak; peak = _peak) Interlocked.CompareExchange(ref _peak, running, peak);
            // Off the request's thread, on the pool: the caller's continuation does not run it inline.
            return await Task.Run(generate, ct);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            _slots.Release();
        }
    }
}
