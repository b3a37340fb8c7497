using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Keyward.OpenSsl;

namespace Keyward.Protocol.SigV4;

/// <summary>
/// The canonical request and string to sign of AWS Signature Version 4, shared by the verifier
/// (KMS server, XKS proxy) and the signer (XKS client, load generator). Each request's hashes and HMAC run on
/// libcrypto's explicitly fetched algorithms (Keyward.OpenSsl): the same bytes as the BCL's at less cost.
/// </summary>
internal static class SigV4Canonical
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string DateFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>
    /// Parses an X-Amz-Date exactly as <c>DateTimeOffset.TryParseExact(text, DateFormat, invariant, AssumeUniversal)</c>
    /// does (sixteen characters, <c>yyyyMMddTHHmmssZ</c>, a real calendar date and time), without the general parser's
    /// cost on every request.
    /// </summary>
    public static bool TryParseAmzDate(ReadOnlySpan<char> text, out DateTimeOffset time)
    {
        time = default;
        if (text.Length != 16 || text[8] != 'T' || text[15] != 'Z') return false;
        if (!Digits(text[..8], out var date) || !Digits(text[9..15], out var clock)) return false;
        int year = date / 10000, month = date / 100 % 100, day = date % 100;
        int hour = clock / 10000, minute = clock / 100 % 100, second = clock % 100;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59) return false;
        time = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    /// <summary>
    /// Canonical URI for every service but S3: the normalized path with each segment URI-encoded
    /// once more. The raw path is already encoded once by the client, so this yields the
    /// double encoding the SigV4 specification requires.
    /// </summary>
    public static string CanonicalUri(string rawPath)
    {
        if (string.IsNullOrEmpty(rawPath) || rawPath == "/") return "/";
        var segments = new List<string>();
        foreach (var segment in rawPath.Split('/'))
        {
            if (segment.Length == 0 || segment == ".") continue;
            if (segment == "..") { if (segments.Count > 0) segments.RemoveAt(segments.Count - 1); continue; }
            segments.Add(UriEncode(segment, encodeSlash: true));
        }
        var path = "/" + string.Join('/', segments);
        if (rawPath.EndsWith('/') && path != "/") path += "/";
        return path;
    }

    public static string CanonicalQuery(string rawQuery)
    {
        if (string.IsNullOrEmpty(rawQuery)) return string.Empty;
        var pairs = new List<(string Key, string Value)>();
        foreach (var part in rawQuery.Split('&'))
        {
            if (part.Length == 0) continue;
            var eq = part.IndexOf('=');
            var k = eq < 0 ? part : part[..eq];
            var v = eq < 0 ? string.Empty : part[(eq + 1)..];
            pairs.Add((UriEncode(Uri.UnescapeDataString(k), true), UriEncode(Uri.UnescapeDataString(v), true)));
        }
        pairs.Sort((a, b) =>
        {
            var c = string.CompareOrdinal(a.Key, b.Key);
            return c != 0 ? c : string.CompareOrdinal(a.Value, b.Value);
        });
        return string.Join('&', pairs.Select(p => p.Key + "=" + p.Value));
    }

    /// <summary>RFC 3986 encoding as SigV4 defines it: unreserved characters stay, all else is %XX (upper-case).</summary>
    public static string UriEncode(string value, bool encodeSlash)
    {
        var sb = new StringBuilder(value.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.IsAscii)
            {
                var c = (char)rune.Value;
                if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (c == '/' && !encodeSlash))
                {
                    sb.Append(c);
                    continue;
                }
            }
            var n = rune.EncodeToUtf8(utf8);
            for (var i = 0; i < n; i++) sb.Append('%').Append(utf8[i].ToString("X2"));
        }
        return sb.ToString();
    }

    /// <summary>Header value as SigV4 canonicalizes it: trimmed, runs of spaces collapsed to one.</summary>
    public static string CanonicalHeaderValue(string value)
    {
        // Common case: nothing to trim or collapse, no allocation.
        if (value.Length == 0 || (value[0] != ' ' && value[^1] != ' ' && !value.Contains("  ", StringComparison.Ordinal))) return value;
        var trimmed = value.AsSpan().Trim();
        var sb = new StringBuilder(trimmed.Length);
        var space = false;
        foreach (var c in trimmed)
        {
            if (c == ' ') { if (!space) sb.Append(' '); space = true; continue; }
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Hex SHA-256 of the canonical request (the only form in which SigV4 uses it).</summary>
    public static string CanonicalRequestHash(string method, string canonicalUri, string canonicalQuery,
        IReadOnlyList<string> signedHeaders, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        Span<char> hex = stackalloc char[HexLength];
        CanonicalRequestHash(method, canonicalUri, canonicalQuery, signedHeaders, header, body, hex);
        return hex.ToString();
    }

    /// <summary>
    /// Writes the hex SHA-256 of the canonical request into <paramref name="hex"/> (64 characters); the payload's hash
    /// (of <paramref name="body"/>) goes into the canonical request without becoming a string.
    /// </summary>
    public static void CanonicalRequestHash(string method, string canonicalUri, string canonicalQuery,
        IReadOnlyList<string> signedHeaders, Func<string, string?> header, ReadOnlySpan<byte> body, Span<char> hex)
    {
        var text = new PooledText(512);
        try
        {
            text.Append(method);
            text.Append('\n');
            text.Append(canonicalUri);
            text.Append('\n');
            text.Append(canonicalQuery);
            text.Append('\n');
            foreach (var name in signedHeaders)
            {
                text.Append(name);
                text.Append(':');
                text.Append(CanonicalHeaderValue(header(name) ?? string.Empty));
                text.Append('\n');
            }
            text.Append('\n');
            for (var i = 0; i < signedHeaders.Count; i++)
            {
                if (i > 0) text.Append(';');
                text.Append(signedHeaders[i]);
            }
            text.Append('\n');
            Span<byte> payloadHash = stackalloc byte[Sha256.Size];
            Sha256.Hash(body, payloadHash);
            text.AppendHex(payloadHash);
            ToHex(Utf8Hash(text.Span, key: null, stackalloc byte[Sha256.Size]), hex);
        }
        finally { text.Dispose(); }
    }

    public const int HexLength = 2 * Sha256.Size;

    private static void ToHex(ReadOnlySpan<byte> hash, Span<char> hex)
    {
        if (!Convert.TryToHexStringLower(hash, hex, out var written) || written != HexLength)
            throw new ArgumentException("A SHA-256 in hex is 64 characters.", nameof(hex));
    }

    /// <summary>kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").</summary>
    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var secretBytes = Encoding.UTF8.GetBytes("AWS4" + secret);
        Span<byte> k = stackalloc byte[32];
        HMACSHA256.HashData(secretBytes, Encoding.UTF8.GetBytes(date), k);
        CryptographicOperations.ZeroMemory(secretBytes);
        HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(region), k);
        HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(service), k);
        var signing = new byte[32];
        HMACSHA256.HashData(k, "aws4_request"u8, signing);
        CryptographicOperations.ZeroMemory(k);
        return signing;
    }

    /// <summary>
    /// Writes the hex HMAC-SHA256 of the string to sign into <paramref name="hex"/> (64 characters); the scope is
    /// <c>date/region/service/aws4_request</c>.
    /// </summary>
    public static void Signature(byte[] signingKey, string amzDate, ReadOnlySpan<char> date, ReadOnlySpan<char> region,
        ReadOnlySpan<char> service, ReadOnlySpan<char> canonicalRequestHash, Span<char> hex)
    {
        var text = new PooledText(256);
        try
        {
            text.Append(Algorithm);
            text.Append('\n');
            text.Append(amzDate);
            text.Append('\n');
            text.Append(date);
            text.Append('/');
            text.Append(region);
            text.Append('/');
            text.Append(service);
            text.Append("/aws4_request\n");
            text.Append(canonicalRequestHash);
            ToHex(Utf8Hash(text.Span, signingKey, stackalloc byte[Sha256.Size]), hex);
        }
        finally { text.Dispose(); }
    }

    /// <summary>SHA-256 (or HMAC-SHA256 with <paramref name="key"/>) of the UTF-8 encoding of <paramref name="text"/>.</summary>
    private static Span<byte> Utf8Hash(ReadOnlySpan<char> text, byte[]? key, Span<byte> destination)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var n = Encoding.UTF8.GetBytes(text, rented);
            if (key is null) Sha256.Hash(rented.AsSpan(0, n), destination);
            else HmacSha256.Compute(key, rented.AsSpan(0, n), destination);
            return destination;
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }
}
