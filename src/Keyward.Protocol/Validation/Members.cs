using Keyward.Protocol.Model;

namespace Keyward.Protocol.Validation;

/// <summary>Checks for members that recur across operations, with their model constraints.</summary>
internal static class Members
{
    public static void KeyId(ValidationErrors e, string? value, string member = "keyId", bool required = true)
    {
        if (required) e.Required(value, member);
        e.Length(value, member, 1, Constraints.KeyIdMax);
    }

    public static void GrantTokens(ValidationErrors e, List<string>? tokens)
    {
        e.Count(tokens, "grantTokens", 0, Constraints.GrantTokensMax);
        if (tokens is null) return;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] is null) e.Add(null, $"grantTokens.{i + 1}.member", "Member must not be null");
            else e.Length(tokens[i], "grantTokens", 1, Constraints.GrantTokenMax);
        }
    }

    public static void Tags(ValidationErrors e, List<Tag>? tags, string member = "tags")
    {
        if (tags is null) return;
        for (var i = 0; i < tags.Count; i++)
        {
            var t = tags[i];
            if (t is null) { e.Add(null, $"{member}.{i + 1}.member", "Member must not be null"); continue; }
            e.Required(t.TagKey, $"{member}.{i + 1}.member.tagKey");
            e.Length(t.TagKey, $"{member}.{i + 1}.member.tagKey", 1, Constraints.TagKeyMax);
            e.Required(t.TagValue, $"{member}.{i + 1}.member.tagValue");
            e.Length(t.TagValue, $"{member}.{i + 1}.member.tagValue", 0, Constraints.TagValueMax);
        }
    }

    /// <summary>A principal ARN of a grant (GranteePrincipal, RetiringPrincipal): 1..256 of [\w+=,.@:/-].</summary>
    public static void Principal(ValidationErrors e, string? value, string member, bool required)
    {
        if (required) e.Required(value, member);
        e.Length(value, member, 1, 256);
        e.Pattern(value, member, "^[\\w+=,.@:/-]+$", s => s.All(c => char.IsAsciiLetterOrDigit(c) || "_+=,.@:/-".Contains(c)));
    }

    /// <param name="maxLimit">The operation's documented Limit range ends here (1000 for most lists; 100 for grants and aliases).</param>
    public static void Paging(ValidationErrors e, int? limit, string? marker, int maxLimit = Constraints.LimitMax)
    {
        e.Range(limit, "limit", 1, maxLimit);
        e.Length(marker, "marker", 1, Constraints.MarkerMax);
        e.Pattern(marker, "marker", "[\\u0020-\\u00FF]*", s => s.All(c => c >= ' ' && c <= '\u00FF'));
    }

    /// <summary>A Region id (RegionType): 1..32 characters of ^([a-z]+-){2,3}\d+$, such as us-east-1.</summary>
    public static void Region(ValidationErrors e, string? value, string member)
    {
        e.Required(value, member);
        e.Length(value, member, 1, 32);
        e.Pattern(value, member, "^([a-z]+-){2,3}\\d+$", Regions.IsRegion);
    }

    public static void AliasName(ValidationErrors e, string? value)
    {
        e.Required(value, "aliasName");
        e.Length(value, "aliasName", 1, Constraints.AliasNameMax);
        e.Pattern(value, "aliasName", Constraints.AliasPattern, Constraints.IsAliasText);
    }

    public static void PolicyName(ValidationErrors e, string? value)
    {
        e.Length(value, "policyName", 1, 128);
        e.Pattern(value, "policyName", "[\\w]+", s => s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'));
    }

    /// <summary>Message, MessageType and SigningAlgorithm of Sign and Verify (the digest length is a service rule).</summary>
    public static void SignedMessage(ValidationErrors e, byte[]? message, string? messageType, string? signingAlgorithm)
    {
        if (message is null) e.AddHidden("message", "Member must not be null");
        e.BlobLength(message, "message", 1, Constraints.PlaintextMax);
        e.Enum(messageType, "messageType", Constraints.MessageTypes);
        e.Required(signingAlgorithm, "signingAlgorithm");
        e.Enum(signingAlgorithm, "signingAlgorithm", Constraints.SigningAlgorithms);
    }

    /// <summary>A KeyMaterialId (BackingKeyIdType): exactly 64 lower-case hex characters.</summary>
    public static void MaterialId(ValidationErrors e, string? value)
    {
        e.Length(value, "keyMaterialId", 64, 64);
        e.Pattern(value, "keyMaterialId", "^[a-f0-9]+$", s => s.All(char.IsAsciiHexDigitLower));
    }
}

/// <summary>Region ids (the model's RegionType).</summary>
public static class Regions
{
    /// <summary>^([a-z]+-){2,3}\d+$, such as us-east-1 or us-gov-west-1.</summary>
    public static bool IsRegion(string s)
    {
        var parts = s.Split('-');
        return s.Length <= 32 && parts.Length is 3 or 4 && parts[^1].Length > 0 && parts[^1].All(char.IsAsciiDigit)
               && parts[..^1].All(p => p.Length > 0 && p.All(char.IsAsciiLetterLower));
    }
}
