namespace Keyward.Core.Audit;

/// <summary>
/// One page of a search of the audit log, newest first (CloudTrail's LookupEvents): the events an account may see
/// (its principals' calls and calls on its keys), at most one attribute filter, a time range, and the place to
/// continue from. The database filters and pages; nothing is loaded that the page does not return.
/// </summary>
public sealed record AuditLookup
{
    /// <summary>The account whose events these are: the caller's principal account, or the account of a touched key.</summary>
    public required string AccountId { get; init; }

    /// <summary>Only events of requests made in this Region (the record's region; awsRegion in older records).</summary>
    public string? Region { get; init; }

    public DateTimeOffset? Start { get; init; }
    public DateTimeOffset? End { get; init; }

    /// <summary>Only events before this place in the chain (the previous page's last sequence number).</summary>
    public long? BeforeSequence { get; init; }

    public required int Limit { get; init; }

    /// <summary>The filter, if any; <see cref="AuditFilter.Nothing"/> matches no event (an attribute no KMS event has).</summary>
    public AuditFilter? Filter { get; init; }
}

/// <summary>What an attribute filter compares, in terms of the stored columns and record.</summary>
public enum AuditFilterKind
{
    /// <summary>event_name is <see cref="AuditFilter.Value"/>.</summary>
    EventName,
    /// <summary>event_name is one of <see cref="AuditFilter.Names"/>.</summary>
    EventNameIn,
    /// <summary>event_name is none of <see cref="AuditFilter.Names"/>.</summary>
    EventNameNotIn,
    /// <summary>principal_arn ends with <see cref="AuditFilter.Value"/>.</summary>
    PrincipalEndsWith,
    /// <summary>key_arns holds <see cref="AuditFilter.Value"/> as a whole ARN, or an ARN ending in "/" and the value.</summary>
    Key,
    /// <summary>The event touched any key.</summary>
    AnyKey,
    /// <summary>The stored record holds one of <see cref="AuditFilter.Fragments"/> (UTF-8 bytes).</summary>
    RecordContains,
    /// <summary>No event matches.</summary>
    Nothing,
}

public sealed record AuditFilter(AuditFilterKind Kind, string? Value = null)
{
    public IReadOnlyList<string> Names { get; init; } = [];
    public IReadOnlyList<byte[]> Fragments { get; init; } = [];

    public static AuditFilter Nothing { get; } = new(AuditFilterKind.Nothing);
}
