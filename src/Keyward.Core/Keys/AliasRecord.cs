namespace Keyward.Core.Keys;

/// <summary>An alias: unique by name within its account and Region; <see cref="TargetKeyId"/> is the key's storage id.</summary>
public sealed record AliasRecord(
    string AccountId, string AliasName, string TargetKeyId, DateTimeOffset CreationDate, DateTimeOffset LastUpdatedDate)
{
    public required string Region { get; init; }
}
