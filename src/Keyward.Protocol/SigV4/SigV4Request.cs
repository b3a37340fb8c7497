namespace Keyward.Protocol.SigV4;

/// <summary>
/// What SigV4 needs of an HTTP request, independent of the HTTP stack.
/// <paramref name="Header"/> returns a header's values (by lower-case name) joined with commas,
/// or null when absent. <paramref name="RawPath"/> and <paramref name="RawQuery"/> are as sent
/// on the wire (still percent-encoded; query without the '?').
/// </summary>
public readonly record struct SigV4Request(
    string Method,
    string RawPath,
    string RawQuery,
    Func<string, string?> Header,
    ReadOnlyMemory<byte> Body);
