using System.Diagnostics;

namespace Keyward.Protocol.Quotas;

/// <summary>
/// A token bucket of <see cref="Rate"/> requests per second with one second of burst: a request quota as AWS applies
/// them (the KMS server's per-account quotas, the XKS proxy's per-store one). A lock per take: uncontended it costs
/// tens of nanoseconds, and one bucket is shared only by the requests of one account and one quota.
/// </summary>
public sealed class TokenBucket(int rate)
{
    private readonly Lock _gate = new();
    private double _tokens = rate;
    private long _at = Stopwatch.GetTimestamp();

    public int Rate => rate;

    public bool TryTake()
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            _tokens = Math.Min(rate, _tokens + Stopwatch.GetElapsedTime(_at, now).TotalSeconds * rate);
            _at = now;
            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }
    }
}
