namespace Keyward.Protocol.SigV4;

/// <summary>The parts of an <c>AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...</c> header.</summary>
internal sealed record SigV4Authorization(
    string AccessKeyId, string Date, string Region, string Service, string Terminator,
    IReadOnlyList<string> SignedHeaders, string Signature)
{
    public static bool TryParse(string header, out SigV4Authorization auth, out string error)
    {
        auth = null!;
        error = string.Empty;
        var text = header.Trim();
        var space = text.IndexOf(' ');
        var algorithm = space < 0 ? text : text[..space];
        if (algorithm != SigV4Canonical.Algorithm)
        {
            error = $"Unsupported AWS 'algorithm': '{Bounded(algorithm)}'.";
            return false;
        }

        // Strict: each comma-separated part is one of the three parameters, once, with a value free of whitespace. So a
        // second Authorization header (joined to the first with a comma) or anything appended is refused, never ignored.
        string? credential = null, signedHeaders = null, signature = null;
        if (space > 0)
        {
            foreach (var raw in text[(space + 1)..].Split(','))
            {
                var part = raw.Trim();
                var eq = part.IndexOf('=');
                if (eq <= 0)
                {
                    error = $"'{Bounded(part)}' not a valid key=value pair (missing equal-sign) in Authorization header.";
                    return false;
                }
                var value = part[(eq + 1)..];
                var known = part[..eq] switch
                {
                    "Credential" when credential is null => (credential = value) is not null,
                    "SignedHeaders" when signedHeaders is null => (signedHeaders = value) is not null,
                    "Signature" when signature is null => (signature = value) is not null,
                    _ => false,
                };
                if (!known || value.Any(char.IsWhiteSpace))
                {
                    error = $"'{Bounded(part)}' is not a valid parameter of the Authorization header.";
                    return false;
                }
            }
        }

        var missing = new List<string>(3);
        if (string.IsNullOrEmpty(credential)) missing.Add("Authorization header requires 'Credential' parameter.");
        if (string.IsNullOrEmpty(signature)) missing.Add("Authorization header requires 'Signature' parameter.");
        if (string.IsNullOrEmpty(signedHeaders)) missing.Add("Authorization header requires 'SignedHeaders' parameter.");
        if (missing.Count > 0)
        {
            error = string.Join(' ', missing);
            return false;
        }

        var scope = credential!.Split('/');
        if (scope.Length != 5 || scope.Any(string.IsNullOrEmpty))
        {
            error = $"Credential should be scoped to a valid region, service and date: '{Bounded(credential)}'.";
            return false;
        }

        auth = new SigV4Authorization(scope[0], scope[1], scope[2], scope[3], scope[4],
            signedHeaders!.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(h => h.Trim().ToLowerInvariant()).ToArray(),
            signature!);
        return true;
    }

    private static string Bounded(string s) => s.Length <= 128 ? s : s[..128];
}
