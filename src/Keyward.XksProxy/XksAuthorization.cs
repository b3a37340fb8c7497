using Keyward.Core.Policies;
using Keyward.Protocol.Xks;

namespace Keyward.XksProxy;

/// <summary>
/// Secondary authorization of one URI path prefix (spec: "MAY"): named rules over the request metadata, read from
/// the configuration file. A rule matches when each field it lists matches one of its patterns (* and ? wildcards,
/// case-sensitive; a field the request lacks matches nothing); fields it leaves out match anything. A matching
/// deny rule refuses, naming itself; otherwise a matching allow rule allows; otherwise <see cref="Default"/> decides.
/// GetHealthStatus is exempt, as the specification requires.
/// </summary>
public sealed class XksAuthorizationOptions
{
    /// <summary>"allow" or "deny": what happens to a request no rule matches.</summary>
    public string Default { get; set; } = "deny";
    public List<XksRule> Rules { get; set; } = [];

    public void Validate(string prefix)
    {
        if (Default is not ("allow" or "deny")) throw new XksConfigurationException($"Tenant '{prefix}': authorization.default must be allow or deny.");
        foreach (var r in Rules)
        {
            if (string.IsNullOrWhiteSpace(r.Name)) throw new XksConfigurationException($"Tenant '{prefix}': every authorization rule needs a name.");
            if (r.Effect is not ("allow" or "deny")) throw new XksConfigurationException($"Tenant '{prefix}': rule '{r.Name}' needs effect allow or deny.");
        }
        if (Rules.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count() != Rules.Count)
            throw new XksConfigurationException($"Tenant '{prefix}': two authorization rules have the same name.");
    }
}

public sealed class XksRule
{
    public required string Name { get; set; }
    public required string Effect { get; set; }
    public List<string>? AwsPrincipalArn { get; set; }
    public List<string>? KmsOperation { get; set; }
    public List<string>? KmsKeyArn { get; set; }
    public List<string>? KmsViaService { get; set; }
    public List<string>? AwsSourceVpc { get; set; }
    public List<string>? AwsSourceVpce { get; set; }

    public bool Matches(XksRequestMetadata m) =>
        Field(AwsPrincipalArn, m.AwsPrincipalArn) && Field(KmsOperation, m.KmsOperation) && Field(KmsKeyArn, m.KmsKeyArn)
        && Field(KmsViaService, m.KmsViaService) && Field(AwsSourceVpc, m.AwsSourceVpc) && Field(AwsSourceVpce, m.AwsSourceVpce);

    private static bool Field(List<string>? patterns, string? value) =>
        patterns is null || (value is not null && patterns.Exists(p => Wildcard.Match(p, value, ignoreCase: false)));
}

internal static class XksAuthorization
{
    /// <summary>Throws AccessDeniedException naming the rule (or the default) that refused.</summary>
    public static void Check(XksAuthorizationOptions? options, XksRequestMetadata metadata)
    {
        if (options is null) return;
        if (options.Rules.Find(r => r.Effect == "deny" && r.Matches(metadata)) is { } deny)
            throw new XksException(XksErrorName.AccessDeniedException, $"Denied by rule '{deny.Name}'.");
        if (options.Rules.Exists(r => r.Effect == "allow" && r.Matches(metadata))) return;
        if (options.Default == "deny") throw new XksException(XksErrorName.AccessDeniedException, "No rule allows this request (the default is deny).");
    }
}
