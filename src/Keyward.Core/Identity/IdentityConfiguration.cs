using System.Text.Json;
using System.Text.Json.Serialization;
using Keyward.Core.Policies;
using Keyward.Protocol.Errors;

namespace Keyward.Core.Identity;

/// <summary>
/// Accounts, their IAM-style users and roles, SigV4 access keys and identity policies, from the
/// `--identities` JSON file (docs/identities.md). The file holds secret access keys: it must not be
/// readable by group or others (like an SSH key), or it is refused. A role is used directly with
/// its own access keys (there is no STS here); its ARN is arn:aws:iam::&lt;account&gt;:role/&lt;name&gt;.
/// </summary>
public sealed class IdentityConfiguration
{
    public List<AccountEntry> Accounts { get; set; } = [];

    public sealed class AccountEntry
    {
        public required string Id { get; set; }
        /// <summary>Access keys of the account's root user (allowed everything by identity; still subject to key policies).</summary>
        public List<AccessKeyEntry> RootAccessKeys { get; set; } = [];
        public List<PrincipalEntry> Users { get; set; } = [];
        public List<PrincipalEntry> Roles { get; set; } = [];
    }

    public sealed class PrincipalEntry
    {
        public required string Name { get; set; }
        public List<AccessKeyEntry> AccessKeys { get; set; } = [];
        public List<JsonElement> Policies { get; set; } = [];
    }

    public sealed class AccessKeyEntry
    {
        public required string AccessKeyId { get; set; }
        public required string SecretAccessKey { get; set; }
    }

    /// <summary>Reads and checks the file; every mistake is an <see cref="IdentityConfigurationException"/> naming what is wrong (never a secret).</summary>
    public static IReadOnlyList<Credential> Load(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
            throw new IdentityConfigurationException($"{path} holds secret access keys and must not be readable by group or others (chmod 600).");
        IdentityConfiguration? config;
        try { config = JsonSerializer.Deserialize(File.ReadAllText(path), IdentityConfigurationJson.Default.IdentityConfiguration); }
        catch (JsonException e)
        {
            // Parser messages can quote content; name only the position.
            throw new IdentityConfigurationException($"{path} is not a valid identities file (line {e.LineNumber + 1}): {(e.Path is { } p ? "at " + p : "malformed JSON")}.");
        }
        return (config ?? throw new IdentityConfigurationException($"{path} is empty.")).Credentials();
    }

    public IReadOnlyList<Credential> Credentials()
    {
        var result = new List<Credential>();
        foreach (var account in Accounts)
        {
            if (account.Id.Length != 12 || !account.Id.All(char.IsAsciiDigit))
                throw new IdentityConfigurationException($"Account id '{account.Id}' must be 12 digits.");
            foreach (var k in account.RootAccessKeys) result.Add(new Credential(k.AccessKeyId, k.SecretAccessKey, Principal.Root(account.Id)));
            foreach (var (entries, kind) in new[] { (account.Users, "user"), (account.Roles, "role") })
            {
                foreach (var entry in entries)
                {
                    if (entry.Name.Length is 0 or > 64 || !entry.Name.All(c => char.IsAsciiLetterOrDigit(c) || "+=,.@_-".Contains(c)))
                        throw new IdentityConfigurationException($"The {kind} name '{entry.Name}' in account {account.Id} is not a valid IAM name.");
                    var policies = new List<PolicyDocument>();
                    for (var i = 0; i < entry.Policies.Count; i++)
                    {
                        try { policies.Add(PolicyDocument.Parse(entry.Policies[i].GetRawText(), keyPolicy: false)); }
                        catch (KmsException e) { throw new IdentityConfigurationException($"Policy {i + 1} of {kind} {entry.Name} in account {account.Id}: {e.Message}"); }
                    }
                    var principal = new Principal(account.Id, $"arn:aws:iam::{account.Id}:{kind}/{entry.Name}") { Policies = policies };
                    foreach (var k in entry.AccessKeys) result.Add(new Credential(k.AccessKeyId, k.SecretAccessKey, principal));
                }
            }
        }
        var duplicate = result.GroupBy(c => c.AccessKeyId, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new IdentityConfigurationException($"Access key id {duplicate.Key} appears more than once.");
        foreach (var c in result)
        {
            if (c.AccessKeyId.Length is < 16 or > 128 || !c.AccessKeyId.All(char.IsAsciiLetterOrDigit))
                throw new IdentityConfigurationException($"Access key id '{c.AccessKeyId}' must be 16 to 128 letters and digits.");
            if (c.SecretAccessKey.Length < 16) throw new IdentityConfigurationException($"The secret of access key {c.AccessKeyId} is shorter than 16 characters.");
        }
        return result;
    }
}

public sealed class IdentityConfigurationException(string message) : Exception(message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(IdentityConfiguration))]
internal sealed partial class IdentityConfigurationJson : JsonSerializerContext;
