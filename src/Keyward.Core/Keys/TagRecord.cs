namespace Keyward.Core.Keys;

public sealed record TagRecord(string TagKey, string TagValue);
