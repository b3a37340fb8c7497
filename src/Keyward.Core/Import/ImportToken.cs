using System.Security.Cryptography;
using Keyward.Core.Keys;

namespace Keyward.Core.Import;

/// <summary>
/// The ImportToken: <c>0x01 (0x02 for a Multi-Region key) ‖ key id (16 bytes) ‖ token id (32 random bytes)</c>. It names the
/// stored wrapping key pair and the KMS key it was issued for; it carries no secret (the private
/// key never leaves the server), so a token is only as good as the stored row it names.
/// </summary>
internal static class ImportToken
{
    private const byte Version = 0x01;
    private const byte VersionMultiRegion = 0x02;
    private const int IdSize = 32;
    public const int Size = 1 + 16 + IdSize;

    public static (string TokenId, byte[] Token) New(string keyId)
    {
        var token = new byte[Size];
        token[0] = KeyIds.Write(keyId, token.AsSpan(1, 16)) ? VersionMultiRegion : Version;
        RandomNumberGenerator.Fill(token.AsSpan(17));
        return (Convert.ToHexStringLower(token.AsSpan(17)), token);
    }

    public static bool TryParse(ReadOnlySpan<byte> token, out string keyId, out string tokenId)
    {
        keyId = tokenId = string.Empty;
        if (token.Length != Size || token[0] is not (Version or VersionMultiRegion)) return false;
        keyId = KeyIds.Read(token.Slice(1, 16), token[0] == VersionMultiRegion);
        tokenId = Convert.ToHexStringLower(token[17..]);
        return true;
    }
}
