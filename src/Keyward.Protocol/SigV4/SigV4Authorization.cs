namespace Keyward.Protocol.SigV4;

/// <summary>The parts of an <c>AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...</c> header.</summary>
/// <remarks>
/// Parsed over spans of the header: a well-formed header costs one string per part the verifier keeps (and none for
/// the service, the terminator or the usual signed header names, which are shared constants). Strings for error
/// messages are made only on the failure path.
/// </remarks>
internal sealed record SigV4Authorization(
    string AccessKeyId, string Date, string Region, string Service, string Terminator,
    IReadOnlyList<string> SignedHeaders, string Signature)
{
    // Names most SDKs sign, lower-case as SigV4 requires: a header naming them reuses these strings.
    private static readonly string[] CommonHeaders =
    [
        "host", "x-amz-date", "x-amz-target", "content-type", "content-length", "x-amz-content-sha256",
        "x-amz-user-agent", "user-agent", "amz-sdk-invocation-id", "amz-sdk-request", "x-amz-security-token",
    ];

    public static bool TryParse(string header, out SigV4Authorization auth, out string error)
    {
        auth = null!;
        error = string.Empty;
        var text = header.AsSpan().Trim();
        var space = text.IndexOf(' ');
        var algorithm = space < 0 ? text : text[..space];
        if (!algorithm.SequenceEqual(SigV4Canonical.Algorithm))
        {
            error = $"Unsupported AWS 'algorithm': '{Bounded(algorithm)}'.";
            return false;
        }

        // Strict: each comma-separated part is one of the three parameters, once, with a value free of whitespace. So a
        // second Authorization header (joined to the first with a comma) or anything appended is refused, never ignored.
        ReadOnlySpan<char> credential = default, signedHeaders = default, signature = default;
        bool hasCredential = false, hasSignedHeaders = false, hasSignature = false;
        if (space > 0)
        {
            var parameters = text[(space + 1)..];
            foreach (var range in parameters.Split(','))
            {
                var part = parameters[range].Trim();
                var eq = part.IndexOf('=');
                if (eq <= 0)
                {
                    error = $"'{Bounded(part)}' not a valid key=value pair (missing equal-sign) in Authorization header.";
                    return false;
                }
                var name = part[..eq];
                var value = part[(eq + 1)..];
                var known = true;
                if (name.SequenceEqual("Credential") && !hasCredential) { credential = value; hasCredential = true; }
                else if (name.SequenceEqual("SignedHeaders") && !hasSignedHeaders) { signedHeaders = value; hasSignedHeaders = true; }
                else if (name.SequenceEqual("Signature") && !hasSignature) { signature = value; hasSignature = true; }
                else known = false;
                if (!known || HasWhiteSpace(value))
                {
                    error = $"'{Bounded(part)}' is not a valid parameter of the Authorization header.";
                    return false;
                }
            }
        }

        if (credential.IsEmpty || signature.IsEmpty || signedHeaders.IsEmpty)
        {
            var missing = new List<string>(3);
            if (credential.IsEmpty) missing.Add("Authorization header requires 'Credential' parameter.");
            if (signature.IsEmpty) missing.Add("Authorization header requires 'Signature' parameter.");
            if (signedHeaders.IsEmpty) missing.Add("Authorization header requires 'SignedHeaders' parameter.");
            error = string.Join(' ', missing);
            return false;
        }

        // Credential = access key id / date / region / service / terminator, none of them empty.
        Span<Range> scope = stackalloc Range[6];
        var parts = credential.Split(scope, '/');
        var valid = parts == 5;
        for (var i = 0; valid && i < 5; i++) valid = !credential[scope[i]].IsEmpty;
        if (!valid)
        {
            error = $"Credential should be scoped to a valid region, service and date: '{Bounded(credential)}'.";
            return false;
        }

        var service = credential[scope[3]];
        var terminator = credential[scope[4]];
        auth = new SigV4Authorization(credential[scope[0]].ToString(), credential[scope[1]].ToString(), credential[scope[2]].ToString(),
            service.SequenceEqual("kms") ? "kms" : service.ToString(),
            terminator.SequenceEqual("aws4_request") ? "aws4_request" : terminator.ToString(),
            HeaderNames(signedHeaders), signature.ToString());
        return true;
    }

    /// <summary>The SignedHeaders list: split on ';', empty entries dropped, each trimmed and lower-cased.</summary>
    private static string[] HeaderNames(ReadOnlySpan<char> list)
    {
        var count = 0;
        foreach (var range in list.Split(';'))
            if (!list[range].IsEmpty) count++;
        var names = new string[count];
        var n = 0;
        foreach (var range in list.Split(';'))
        {
            if (list[range].IsEmpty) continue;
            names[n++] = LowerName(list[range].Trim());
        }
        return names;
    }

    private static string LowerName(ReadOnlySpan<char> name)
    {
        foreach (var common in CommonHeaders)
            if (name.SequenceEqual(common)) return common;
        return name.ToString().ToLowerInvariant();
    }

    private static bool HasWhiteSpace(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
            if (char.IsWhiteSpace(c)) return true;
        return false;
    }

    private static string Bounded(ReadOnlySpan<char> s) => (s.Length <= 128 ? s : s[..128]).ToString();
}
