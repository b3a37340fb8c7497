namespace Keyward.Core.Keys;

public sealed record AliasRecord(
    string AccountId, string AliasName, string TargetKeyId, DateTimeOffset CreationDate, DateTimeOffset LastUpdatedDate);
