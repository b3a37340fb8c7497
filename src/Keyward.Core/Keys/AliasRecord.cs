namespace Keyward.Core.Keys;

internal sealed record AliasRecord(
    string AccountId, string AliasName, string TargetKeyId, DateTimeOffset CreationDate, DateTimeOffset LastUpdatedDate);
