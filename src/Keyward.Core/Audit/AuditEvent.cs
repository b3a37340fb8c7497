namespace Keyward.Core.Audit;

/// <summary>
/// One API call, ready to append: the CloudTrail-format JSON as UTF-8 (never plaintext, key material or a
/// secret) and the columns that index it. <see cref="KeyArns"/> are the keys it touched;
/// <see cref="UsedKey"/> marks a successful cryptographic operation (GetKeyLastUsage counts those).
/// An event read back from the journal for indexing lies in the indexer's read buffer: valid until its next read.
/// </summary>
public sealed record AuditEvent(
    DateTimeOffset EventTime,
    string EventName,
    string EventId,
    string RequestId,
    string PrincipalArn,
    IReadOnlyList<string> KeyArns,
    bool UsedKey,
    ReadOnlyMemory<byte> Json);

/// <summary>A stored event with its place in the chain.</summary>
public sealed record AuditRecord(long Sequence, DateTimeOffset EventTime, string EventName, string PrincipalArn, string? KeyArn, string Json,
    byte[] PreviousHash, byte[] Hash);

/// <summary>The last successful cryptographic use of a key (GetKeyLastUsage).</summary>
public sealed record KeyUsageRecord(string KeyArn, DateTimeOffset Timestamp, string Operation, string EventId, string RequestId);
