using System.Text.Json;

namespace Keyward.Core.Service;

/// <summary>
/// Key policy documents. Stored verbatim as given; checked for well-formedness here.
/// Enforcement is the access-control layer's work.
/// </summary>
internal static class KeyPolicies
{
    /// <summary>AWS's default key policy: the account (and through it, IAM policies) may do everything.</summary>
    public static string Default(string partition, string accountId) =>
        "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n" +
        "    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n" +
        $"    \"Principal\" : {{\n      \"AWS\" : \"arn:{partition}:iam::{accountId}:root\"\n    }},\n" +
        "    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}";

    /// <summary>Returns the policy if it is a structurally valid IAM policy document; otherwise MalformedPolicyDocumentException.</summary>
    public static string Check(string policy)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(policy); }
        catch (JsonException) { throw Faults.MalformedPolicy("The policy is not valid JSON."); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Faults.MalformedPolicy("The policy must be a JSON object.");
            if (root.TryGetProperty("Version", out var version) &&
                (version.ValueKind != JsonValueKind.String || version.GetString() is not ("2012-10-17" or "2008-10-17")))
                throw Faults.MalformedPolicy("The policy Version must be \"2012-10-17\" or \"2008-10-17\".");
            if (!root.TryGetProperty("Statement", out var statements))
                throw Faults.MalformedPolicy("The policy must contain a Statement.");
            if (statements.ValueKind == JsonValueKind.Object) CheckStatement(statements);
            else if (statements.ValueKind == JsonValueKind.Array && statements.GetArrayLength() > 0)
                foreach (var s in statements.EnumerateArray()) CheckStatement(s);
            else throw Faults.MalformedPolicy("The policy Statement must be an object or a non-empty array.");
        }
        return policy;
    }

    private static void CheckStatement(JsonElement s)
    {
        if (s.ValueKind != JsonValueKind.Object) throw Faults.MalformedPolicy("Each policy statement must be a JSON object.");
        if (!s.TryGetProperty("Effect", out var effect) || effect.ValueKind != JsonValueKind.String ||
            effect.GetString() is not ("Allow" or "Deny"))
            throw Faults.MalformedPolicy("Each policy statement must have an Effect of Allow or Deny.");
        if (!s.TryGetProperty("Principal", out _) && !s.TryGetProperty("NotPrincipal", out _))
            throw Faults.MalformedPolicy("Each key policy statement must have a Principal or NotPrincipal.");
        if (!s.TryGetProperty("Action", out _) && !s.TryGetProperty("NotAction", out _))
            throw Faults.MalformedPolicy("Each policy statement must have an Action or NotAction.");
        if (!s.TryGetProperty("Resource", out _) && !s.TryGetProperty("NotResource", out _))
            throw Faults.MalformedPolicy("Each policy statement must have a Resource or NotResource.");
    }
}
