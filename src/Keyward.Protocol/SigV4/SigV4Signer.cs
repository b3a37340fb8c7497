using System.Globalization;
using System.Security.Cryptography;

namespace Keyward.Protocol.SigV4;

/// <summary>Signs a request with SigV4 (Authorization header form); used by Keyward's own clients.</summary>
public static class SigV4Signer
{
    /// <summary>
    /// Returns the X-Amz-Date and Authorization header values. <paramref name="headers"/> must hold
    /// every header to sign (lower-case names), including host; x-amz-date is added here.
    /// </summary>
    public static (string AmzDate, string Authorization) Sign(
        string method, string rawPath, string rawQuery, IDictionary<string, string> headers, ReadOnlySpan<byte> body,
        string accessKeyId, string secret, string region, string service, DateTimeOffset now)
    {
        var amzDate = now.UtcDateTime.ToString(SigV4Canonical.DateFormat, CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var all = new Dictionary<string, string>(headers, StringComparer.Ordinal) { ["x-amz-date"] = amzDate };
        var signed = all.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var canonicalHash = SigV4Canonical.CanonicalRequestHash(method, SigV4Canonical.CanonicalUri(rawPath),
            SigV4Canonical.CanonicalQuery(rawQuery), signed, n => all.GetValueOrDefault(n), body);
        var scope = $"{date}/{region}/{service}/aws4_request";
        var signingKey = SigV4Canonical.SigningKey(secret, date, region, service);
        Span<char> signature = stackalloc char[SigV4Canonical.HexLength];
        SigV4Canonical.Signature(signingKey, amzDate, date, region, service, canonicalHash, signature);
        CryptographicOperations.ZeroMemory(signingKey);
        var authorization = $"{SigV4Canonical.Algorithm} Credential={accessKeyId}/{scope}, "
            + $"SignedHeaders={string.Join(';', signed)}, Signature={signature.ToString()}";
        return (amzDate, authorization);
    }
}
