using System.Security.Cryptography;
using Keyward.Core.Identity;

namespace Keyward.Server.Hosting;

/// <summary>
/// `keyward identities check` validates an --identities file as the server would and lists its principals
/// and access key ids (never a secret); `keyward identities new-access-key` prints a fresh access key pair
/// in the file's format, to paste into a user's or role's "accessKeys".
/// </summary>
public static class IdentitiesCommand
{
    public static int Check(string file, TextWriter output)
    {
        IReadOnlyList<Credential> credentials;
        try { credentials = IdentityConfiguration.Load(file); }
        catch (IdentityConfigurationException e) { throw new ServerConfigurationException(e.Message); }
        catch (IOException e) { throw new ServerConfigurationException($"cannot read {file}: {e.Message}"); }
        foreach (var group in credentials.GroupBy(c => c.Principal.Arn, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var principal = group.First().Principal;
            output.WriteLine($"{principal.Arn}\t{principal.Policies.Count} identity polic{(principal.Policies.Count == 1 ? "y" : "ies")}\t" +
                             string.Join(",", group.Select(c => c.AccessKeyId)));
        }
        output.WriteLine($"keyward: {file} is valid: {credentials.Select(c => c.Principal.Arn).Distinct().Count()} principals, {credentials.Count} access keys.");
        return 0;
    }

    public static int NewAccessKey(TextWriter output)
    {
        const string upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const string any = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        string Random(string alphabet, int n) => string.Create(n, alphabet, (span, chars) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = chars[RandomNumberGenerator.GetInt32(chars.Length)];
        });
        // Printed once, deliberately, for the operator to store in the (mode 0600) identities file.
        output.WriteLine($$"""{ "accessKeyId": "AKIA{{Random(upper, 16)}}", "secretAccessKey": "{{Random(any, 40)}}" }""");
        return 0;
    }
}
