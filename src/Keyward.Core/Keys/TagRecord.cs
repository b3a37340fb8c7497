namespace Keyward.Core.Keys;

internal sealed record TagRecord(string TagKey, string TagValue);
