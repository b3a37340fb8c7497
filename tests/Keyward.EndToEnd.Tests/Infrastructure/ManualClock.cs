namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>A lifecycle clock the tests can move forward (the server's SigV4 keeps real time).</summary>
public sealed class ManualClock : TimeProvider
{
    private long _offsetTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
}
