using Keyward.Core.Audit;
using Keyward.Core.Storage;

namespace Keyward.Server.Audit;

/// <summary>
/// How far this server has checked the audit log's hash chain, as <c>keyward audit verify</c> checks it (each event's
/// hash over the previous hash, its sequence number and its record; each index column against the record). LookupEvents
/// marks each event it returns: verified (the chain holds from the first event up to it), broken (at or after the first
/// event that does not hold) or unchecked. The check runs forward only, at most <see cref="MaxPerCall"/> events per
/// lookup, and remembers where it got to; an edit to an event already checked is found by audit verify, not here.
/// </summary>
internal sealed class AuditChainProgress(IKmsStorage storage)
{
    public const int MaxPerCall = 200_000;
    private const int Page = 1000;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private long _verified;
    private byte[] _hash = AuditChain.Genesis;
    private long? _brokenAt;

    public enum State { Verified, Broken, Unchecked }

    /// <summary>Checks the chain up to <paramref name="sequence"/> (within the budget of one call) if not yet done.</summary>
    public async ValueTask AdvanceAsync(long sequence, CancellationToken ct)
    {
        if (_brokenAt is not null || Volatile.Read(ref _verified) >= sequence) return;
        await _lock.WaitAsync(ct);
        try
        {
            for (var budget = MaxPerCall; _brokenAt is null && _verified < sequence && budget > 0; budget -= Page)
            {
                var page = await storage.ReadAuditEventsAsync(_verified, Page, ct);
                if (page.Count == 0) return;
                foreach (var record in page)
                {
                    if (AuditChain.Check(record, _verified + 1, _hash) is not null)
                    {
                        _brokenAt = _verified + 1;
                        return;
                    }
                    _hash = record.Hash;
                    Volatile.Write(ref _verified, record.Sequence);
                }
            }
        }
        finally { _lock.Release(); }
    }

    public State Of(long sequence) =>
        sequence <= Volatile.Read(ref _verified) ? State.Verified
        : _brokenAt is { } broken && sequence >= broken ? State.Broken
        : State.Unchecked;
}
