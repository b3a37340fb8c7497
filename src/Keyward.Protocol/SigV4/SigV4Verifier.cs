using System.Collections.Concurrent;
using System.Globalization;

namespace Keyward.Protocol.SigV4;

/// <summary>
/// Verifies AWS Signature Version 4 (Authorization header form) for one service and region.
/// Checks, in AWS's order: header presence and completeness, credential scope, clock skew,
/// access key, then the signature over the SignedHeaders the client lists, which must include host,
/// the date header and every header that decides what the request does.
/// </summary>
public sealed class SigV4Verifier
{
    public static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(5);

    private readonly string _service;
    private readonly Func<string, bool> _regionAllowed;
    private readonly Func<string, string?> _secretOf;
    private readonly TimeProvider _time;
    private readonly string[] _signedIfPresent;
    private readonly ConcurrentDictionary<(string AccessKeyId, string Date, string Region), CachedKey> _keys = new();

    private sealed record CachedKey(string Secret, byte[] Key);

    /// <param name="secretOf">Secret access key of an access key id, or null when unknown.</param>
    /// <param name="signedIfPresent">
    /// Lower-case names of headers that decide what the request does (KMS: <c>x-amz-target</c>, the operation): a request
    /// that carries one must have signed it, or another operation could be run under a captured signature.
    /// </param>
    public SigV4Verifier(string service, Func<string, bool> regionAllowed, Func<string, string?> secretOf, TimeProvider time,
        params string[] signedIfPresent)
    {
        _service = service;
        _regionAllowed = regionAllowed;
        _secretOf = secretOf;
        _time = time;
        _signedIfPresent = signedIfPresent;
    }

    public SigV4Result Verify(in SigV4Request request)
    {
        var authorization = request.Header("authorization");
        if (string.IsNullOrWhiteSpace(authorization))
            return SigV4Result.Fail(SigV4Failure.MissingAuthentication, "Missing Authentication Token");

        if (!SigV4Authorization.TryParse(authorization, out var auth, out var incomplete))
            return SigV4Result.Fail(SigV4Failure.IncompleteSignature, incomplete);

        // Date: X-Amz-Date, else Date (RFC 1123); the one used must be signed.
        var amzDate = request.Header("x-amz-date");
        var dateHeader = amzDate is not null ? "x-amz-date" : "date";
        DateTimeOffset requestTime;
        if (amzDate is not null)
        {
            if (!SigV4Canonical.TryParseAmzDate(amzDate.AsSpan().Trim(), out requestTime))
                return SigV4Result.Fail(SigV4Failure.IncompleteSignature,
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
        }
        else if (request.Header("date") is { } httpDate &&
                 DateTimeOffset.TryParseExact(httpDate.Trim(), "r", CultureInfo.InvariantCulture,
                     DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out requestTime))
        {
            amzDate = requestTime.UtcDateTime.ToString(SigV4Canonical.DateFormat, CultureInfo.InvariantCulture);
        }
        else
        {
            return SigV4Result.Fail(SigV4Failure.IncompleteSignature,
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
        }

        if (!auth.SignedHeaders.Contains("host"))
            return SigV4Result.Fail(SigV4Failure.InvalidScope,
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
        if (!auth.SignedHeaders.Contains(dateHeader))
            return SigV4Result.Fail(SigV4Failure.IncompleteSignature,
                $"'{(amzDate is not null ? "X-Amz-Date" : "Date")}' must be a 'SignedHeader' in the AWS Authorization.");
        foreach (var name in _signedIfPresent)
            if (request.Header(name) is not null && !auth.SignedHeaders.Contains(name))
                return SigV4Result.Fail(SigV4Failure.IncompleteSignature, $"'{name}' must be a 'SignedHeader' in the AWS Authorization.");
        if (auth.Terminator != "aws4_request")
            return SigV4Result.Fail(SigV4Failure.InvalidScope,
                $"Credential should be scoped with a valid terminator: 'aws4_request', not '{auth.Terminator}'.");
        if (auth.Service != _service)
            return SigV4Result.Fail(SigV4Failure.InvalidScope, $"Credential should be scoped to correct service: '{_service}'. ");
        if (!_regionAllowed(auth.Region))
            return SigV4Result.Fail(SigV4Failure.InvalidScope, "Credential should be scoped to a valid region. ");
        if (!amzDate.StartsWith(auth.Date, StringComparison.Ordinal) || auth.Date.Length != 8)
            return SigV4Result.Fail(SigV4Failure.InvalidScope,
                $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{auth.Date}' != '{amzDate[..Math.Min(8, amzDate.Length)]}', from '{amzDate}'.");

        var now = _time.GetUtcNow();
        if (requestTime < now - AllowedSkew)
            return SigV4Result.Fail(SigV4Failure.Expired,
                $"Signature expired: {amzDate} is now earlier than {Format(now - AllowedSkew)} ({Format(now)} - 5 min.)");
        if (requestTime > now + AllowedSkew)
            return SigV4Result.Fail(SigV4Failure.Expired,
                $"Signature not yet current: {amzDate} is still later than {Format(now + AllowedSkew)} ({Format(now)} + 5 min.)");

        var secret = _secretOf(auth.AccessKeyId);
        // Every credential here is a long-term access key: a session token belongs to none of them.
        if (secret is null || request.Header("x-amz-security-token") is not null)
            return SigV4Result.Fail(SigV4Failure.UnknownAccessKey, "The security token included in the request is invalid.");

        Span<char> canonicalHash = stackalloc char[SigV4Canonical.HexLength];
        SigV4Canonical.CanonicalRequestHash(
            request.Method,
            SigV4Canonical.CanonicalUri(request.RawPath),
            SigV4Canonical.CanonicalQuery(request.RawQuery),
            auth.SignedHeaders,
            request.Header,
            request.Body.Span,
            canonicalHash);
        Span<char> expected = stackalloc char[SigV4Canonical.HexLength];
        SigV4Canonical.Signature(SigningKey(auth.AccessKeyId, secret, auth.Date, auth.Region), amzDate, auth.Date, auth.Region, auth.Service,
            canonicalHash, expected);

        // Both lower-case hex as SigV4 defines it, compared in constant time.
        if (!ConstantTime.AreEqual(expected, auth.Signature))
            return SigV4Result.Fail(SigV4Failure.SignatureMismatch,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");

        return SigV4Result.Ok(auth.AccessKeyId, auth.Region);
    }

    // The derived key depends only on (secret, date, region, service): cache it per access key and day.
    // A rotated secret for the same access key id is detected by comparing the cached secret.
    private byte[] SigningKey(string accessKeyId, string secret, string date, string region)
    {
        var cacheKey = (accessKeyId, date, region);
        if (_keys.TryGetValue(cacheKey, out var cached) && string.Equals(cached.Secret, secret, StringComparison.Ordinal))
            return cached.Key;
        if (_keys.Count > 4096) _keys.Clear();
        var key = SigV4Canonical.SigningKey(secret, date, region, _service);
        _keys[cacheKey] = new CachedKey(secret, key);
        return key;
    }

    private static string Format(DateTimeOffset t) => t.UtcDateTime.ToString(SigV4Canonical.DateFormat, CultureInfo.InvariantCulture);
}
