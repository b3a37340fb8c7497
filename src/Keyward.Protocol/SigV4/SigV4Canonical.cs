using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Keyward.Protocol.SigV4;

/// <summary>
/// The canonical request and string to sign of AWS Signature Version 4, shared by the verifier
/// (KMS server, XKS proxy) and the signer (XKS client, load generator).
/// </summary>
internal static class SigV4Canonical
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string DateFormat = "yyyyMMdd'T'HHmmss'Z'";

    public static string HexSha256(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
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

    public static string CanonicalRequest(string method, string canonicalUri, string canonicalQuery,
        IReadOnlyList<string> signedHeaders, Func<string, string?> header, string payloadHash)
    {
        var sb = new StringBuilder(256);
        sb.Append(method).Append('\n').Append(canonicalUri).Append('\n').Append(canonicalQuery).Append('\n');
        foreach (var name in signedHeaders)
            sb.Append(name).Append(':').Append(CanonicalHeaderValue(header(name) ?? string.Empty)).Append('\n');
        sb.Append('\n').AppendJoin(';', signedHeaders).Append('\n').Append(payloadHash);
        return sb.ToString();
    }

    public static string StringToSign(string amzDate, string scope, string canonicalRequest)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(canonicalRequest.Length));
        try
        {
            var n = Encoding.UTF8.GetBytes(canonicalRequest, rented);
            return string.Concat(Algorithm, "\n", amzDate, "\n", scope, "\n", HexSha256(rented.AsSpan(0, n)));
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
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

    public static string Signature(byte[] signingKey, string stringToSign)
    {
        var max = Encoding.UTF8.GetMaxByteCount(stringToSign.Length);
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var n = Encoding.UTF8.GetBytes(stringToSign, rented);
            Span<byte> mac = stackalloc byte[32];
            HMACSHA256.HashData(signingKey, rented.AsSpan(0, n), mac);
            return Convert.ToHexStringLower(mac);
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }
}
