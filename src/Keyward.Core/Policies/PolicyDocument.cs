using System.Runtime.CompilerServices;
using System.Text.Json;
using Keyward.Core.Service;
using Keyward.Protocol.Errors;

namespace Keyward.Core.Policies;

/// <summary>
/// A parsed IAM policy document (a key policy or an identity policy). Parsing checks what AWS
/// checks and answers MalformedPolicyDocumentException with the reason: JSON shape, Version,
/// Effect, the Principal forms, Action and Resource lists, known condition operators.
/// Key policies need a Principal or NotPrincipal in every statement; identity policies may not
/// have one. AWS account ids in Principal are normalized to the account's root ARN.
/// </summary>
public sealed class PolicyDocument
{
    public required IReadOnlyList<PolicyStatement> Statements { get; init; }

    /// <summary>Some condition reads kms:ResourceAliases (which costs a storage read to evaluate).</summary>
    public bool UsesResourceAliases { get; init; }

    // Parsed key policies by string identity: a key record read again brings a new string, an unchanged one is parsed once.
    private static readonly ConditionalWeakTable<string, PolicyDocument> ParsedKeyPolicies = new();

    /// <summary>The parsed form of a stored key policy (already validated when it was stored).</summary>
    public static PolicyDocument ForKey(string policy) => ParsedKeyPolicies.GetValue(policy, p => Parse(p, keyPolicy: true));

    public static PolicyDocument Parse(string json, bool keyPolicy)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException) { throw Malformed("The policy is not valid JSON."); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Malformed("The policy must be a JSON object.");
            JsonElement? statementElement = null;
            foreach (var member in root.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "Version":
                        if (member.Value.ValueKind != JsonValueKind.String || member.Value.GetString() is not ("2012-10-17" or "2008-10-17"))
                            throw Malformed("The policy Version must be \"2012-10-17\" or \"2008-10-17\".");
                        break;
                    case "Id":
                        if (member.Value.ValueKind != JsonValueKind.String) throw Malformed("The policy Id must be a string.");
                        break;
                    case "Statement":
                        statementElement = member.Value;
                        break;
                    default:
                        throw Malformed($"The policy has an unknown element '{member.Name}'.");
                }
            }
            if (statementElement is not { } statements) throw Malformed("The policy must contain a Statement.");
            var list = new List<PolicyStatement>();
            if (statements.ValueKind == JsonValueKind.Object) list.Add(ParseStatement(statements, keyPolicy));
            else if (statements.ValueKind == JsonValueKind.Array && statements.GetArrayLength() > 0)
                foreach (var s in statements.EnumerateArray()) list.Add(ParseStatement(s, keyPolicy));
            else throw Malformed("The policy Statement must be an object or a non-empty array.");
            var sids = list.Where(s => s.Sid is { Length: > 0 }).Select(s => s.Sid!).ToList();
            if (sids.Count != sids.Distinct(StringComparer.Ordinal).Count()) throw Malformed("Statement ids (Sid) must be unique within a policy.");
            return new PolicyDocument
            {
                Statements = list,
                UsesResourceAliases = list.Any(s => s.Conditions.Any(c => c.Key.Equals("kms:ResourceAliases", StringComparison.OrdinalIgnoreCase))),
            };
        }
    }

    private static PolicyStatement ParseStatement(JsonElement s, bool keyPolicy)
    {
        if (s.ValueKind != JsonValueKind.Object) throw Malformed("Each policy statement must be a JSON object.");
        string? sid = null;
        bool? allow = null;
        IReadOnlyList<string>? principals = null, notPrincipals = null, actions = null, notActions = null, resources = null, notResources = null;
        IReadOnlyList<PolicyCondition> conditions = [];
        foreach (var m in s.EnumerateObject())
        {
            switch (m.Name)
            {
                case "Sid":
                    if (m.Value.ValueKind != JsonValueKind.String) throw Malformed("A statement's Sid must be a string.");
                    sid = m.Value.GetString();
                    break;
                case "Effect":
                    allow = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString() switch { "Allow" => true, "Deny" => false, _ => null } : null;
                    if (allow is null) throw Malformed("Each policy statement must have an Effect of Allow or Deny.");
                    break;
                case "Principal": principals = ParsePrincipal(m.Value); break;
                case "NotPrincipal": notPrincipals = ParsePrincipal(m.Value); break;
                case "Action": actions = ParseActions(m.Value, "Action"); break;
                case "NotAction": notActions = ParseActions(m.Value, "NotAction"); break;
                case "Resource": resources = Strings(m.Value, "Resource"); break;
                case "NotResource": notResources = Strings(m.Value, "NotResource"); break;
                case "Condition": conditions = ParseConditions(m.Value); break;
                default: throw Malformed($"A policy statement has an unknown element '{m.Name}'.");
            }
        }
        if (allow is null) throw Malformed("Each policy statement must have an Effect of Allow or Deny.");
        if (principals is not null && notPrincipals is not null) throw Malformed("A statement cannot have both Principal and NotPrincipal.");
        if (keyPolicy && principals is null && notPrincipals is null) throw Malformed("Each key policy statement must have a Principal or NotPrincipal.");
        if (!keyPolicy && (principals is not null || notPrincipals is not null)) throw Malformed("An identity policy statement cannot have a Principal or NotPrincipal.");
        if ((actions is null) == (notActions is null)) throw Malformed("Each policy statement must have exactly one of Action or NotAction.");
        if ((resources is null) == (notResources is null)) throw Malformed("Each policy statement must have exactly one of Resource or NotResource.");
        return new PolicyStatement
        {
            Sid = sid, Allow = allow.Value, Principals = principals, NotPrincipals = notPrincipals, Actions = actions, NotActions = notActions,
            Resources = resources, NotResources = notResources, Conditions = conditions,
        };
    }

    /// <summary>"*", or an object of AWS / Service / Federated / CanonicalUser principals; AWS ones are checked and normalized.</summary>
    private static IReadOnlyList<string> ParsePrincipal(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.String)
            return e.GetString() == "*" ? ["*"] : throw Malformed("Policy contains a statement with one or more invalid principals.");
        if (e.ValueKind != JsonValueKind.Object) throw Malformed("Policy contains a statement with one or more invalid principals.");
        var result = new List<string>();
        foreach (var kind in e.EnumerateObject())
        {
            var values = Strings(kind.Value, "Principal");
            switch (kind.Name)
            {
                case "AWS":
                    foreach (var v in values) result.Add(NormalizeAwsPrincipal(v));
                    break;
                case "Service" or "Federated" or "CanonicalUser":
                    // Never a Keyward caller, but valid: kept so they never match by accident.
                    foreach (var v in values) result.Add(kind.Name + ":" + v);
                    break;
                default:
                    throw Malformed("Policy contains a statement with one or more invalid principals.");
            }
        }
        return result;
    }

    private static string NormalizeAwsPrincipal(string v)
    {
        if (v == "*") return v;
        if (v.Length == 12 && v.All(char.IsAsciiDigit)) return $"arn:aws:iam::{v}:root";
        var parts = v.Split(':', 6);
        var ok = parts.Length == 6 && parts[0] == "arn" && parts[1].Length > 0 && parts[3].Length == 0
                 && parts[4].Length == 12 && parts[4].All(char.IsAsciiDigit)
                 && ((parts[2] == "iam" && (parts[5] == "root" || parts[5].StartsWith("user/", StringComparison.Ordinal) || parts[5].StartsWith("role/", StringComparison.Ordinal)))
                     || (parts[2] == "sts" && parts[5].StartsWith("assumed-role/", StringComparison.Ordinal)));
        return ok ? v : throw Malformed("Policy contains a statement with one or more invalid principals.");
    }

    private static IReadOnlyList<string> ParseActions(JsonElement e, string name)
    {
        var actions = Strings(e, name);
        foreach (var a in actions)
        {
            var colon = a.IndexOf(':', StringComparison.Ordinal);
            if (a != "*" && (colon <= 0 || colon == a.Length - 1))
                throw Malformed($"The {name} element has an invalid action '{a}': use \"service:Action\", such as \"kms:Encrypt\".");
        }
        return actions;
    }

    private static IReadOnlyList<PolicyCondition> ParseConditions(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Malformed("A statement's Condition must be a JSON object.");
        var list = new List<PolicyCondition>();
        foreach (var op in e.EnumerateObject())
        {
            var name = op.Name;
            var set = ConditionSet.None;
            if (name.StartsWith("ForAnyValue:", StringComparison.Ordinal)) { set = ConditionSet.ForAnyValue; name = name["ForAnyValue:".Length..]; }
            else if (name.StartsWith("ForAllValues:", StringComparison.Ordinal)) { set = ConditionSet.ForAllValues; name = name["ForAllValues:".Length..]; }
            var ifExists = name.EndsWith("IfExists", StringComparison.Ordinal) && name != "IfExists";
            if (ifExists) name = name[..^"IfExists".Length];
            if (!Conditions.IsKnownOperator(name) || (ifExists && name == "Null"))
                throw Malformed($"The policy has an unknown condition operator '{op.Name}'.");
            if (op.Value.ValueKind != JsonValueKind.Object) throw Malformed($"The condition operator '{op.Name}' must map condition keys to values.");
            foreach (var key in op.Value.EnumerateObject())
                list.Add(new PolicyCondition(name, set, ifExists, key.Name, ConditionValues(key.Value, op.Name)));
        }
        return list;
    }

    private static IReadOnlyList<string> ConditionValues(JsonElement e, string op) => e.ValueKind switch
    {
        JsonValueKind.Array => e.EnumerateArray().Select(v => Scalar(v, op)).ToList(),
        _ => [Scalar(e, op)],
    };

    private static string Scalar(JsonElement v, string op) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => v.GetRawText(),
        _ => throw Malformed($"The values of condition operator '{op}' must be strings, numbers or booleans."),
    };

    private static IReadOnlyList<string> Strings(JsonElement e, string name)
    {
        if (e.ValueKind == JsonValueKind.String) return [e.GetString()!];
        if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 && e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String))
            return e.EnumerateArray().Select(x => x.GetString()!).ToList();
        throw Malformed($"The {name} element must be a string or a non-empty array of strings.");
    }

    private static KmsException Malformed(string message) => Faults.MalformedPolicy(message);
}
