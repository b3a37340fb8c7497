namespace Keyward.Core.Keys;

/// <summary>
/// Key ids are lower-case UUIDs, as in AWS, or for a Multi-Region key <c>mrk-</c> and 32 lower-case hex digits (the
/// same id in every Region of the key). In a ciphertext blob either travels as 16 bytes; the blob's format byte says
/// which (docs/ciphertext-format.md).
/// </summary>
public static class KeyIds
{
    public const string MultiRegionPrefix = "mrk-";
    private const int MultiRegionLength = 4 + 32;

    public static string New() => Guid.NewGuid().ToString("D");

    public static string NewMultiRegion() => MultiRegionPrefix + Guid.NewGuid().ToString("N");

    /// <summary>A key id of either form (any case: the caller lower-cases it before lookup).</summary>
    public static bool IsKeyId(string s) => s.Length == 36 && Guid.TryParseExact(s, "D", out _) || IsMultiRegion(s);

    public static bool IsMultiRegion(string s) =>
        s.Length == MultiRegionLength && s.StartsWith(MultiRegionPrefix, StringComparison.OrdinalIgnoreCase) &&
        Guid.TryParseExact(s.AsSpan(4), "N", out _);

    /// <summary>
    /// The id of a key's row in storage. A single-Region key's id is unique everywhere and is its storage id; the
    /// replicas of a Multi-Region key share one id, so each Region's key is stored as <c>mrk-…/region</c>.
    /// </summary>
    public static string StorageId(string keyId, string region) =>
        keyId.StartsWith(MultiRegionPrefix, StringComparison.Ordinal) ? string.Concat(keyId, "/", region) : keyId;

    /// <summary>The key id of a storage id (<see cref="StorageId"/> reversed).</summary>
    public static string PublicId(string storageId)
    {
        var slash = storageId.IndexOf('/');
        return slash < 0 ? storageId : storageId[..slash];
    }

    /// <summary>Writes the key id's 16 bytes; true if it is a Multi-Region key id.</summary>
    public static bool Write(string keyId, Span<byte> destination)
    {
        var multiRegion = keyId.StartsWith(MultiRegionPrefix, StringComparison.Ordinal);
        var ok = multiRegion
            ? Guid.TryParseExact(keyId.AsSpan(4), "N", out var g)
            : Guid.TryParseExact(keyId, "D", out g);
        if (!ok || !g.TryWriteBytes(destination, bigEndian: true, out _))
            throw new ArgumentException("Not a key id.", nameof(keyId));
        return multiRegion;
    }

    public static string Read(ReadOnlySpan<byte> source, bool multiRegion = false)
    {
        var g = new Guid(source[..16], bigEndian: true);
        return multiRegion ? MultiRegionPrefix + g.ToString("N") : g.ToString("D");
    }
}
