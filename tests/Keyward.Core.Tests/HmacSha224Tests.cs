using Keyward.OpenSsl;

namespace Keyward.Core.Tests;

/// <summary>HMAC-SHA-224 through libcrypto against the RFC 4231 test vectors.</summary>
public sealed class HmacSha224Tests
{
    [Theory]
    // Test case 1: 20-byte key of 0x0b, "Hi There".
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265", "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22")]
    // Test case 2: key "Jefe", "what do ya want for nothing?".
    [InlineData("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44")]
    // Test case 6: a 131-byte key, longer than the block, is hashed first.
    [InlineData("aa*131",
        "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
        "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e")]
    public void Matches_RFC_4231(string key, string data, string expected)
    {
        var mac = new byte[Hmac.Sha224Size];
        var keyBytes = key == "aa*131" ? Enumerable.Repeat((byte)0xaa, 131).ToArray() : Convert.FromHexString(key);
        Hmac.Sha224(keyBytes, Convert.FromHexString(data), mac);
        Assert.Equal(expected, Convert.ToHexStringLower(mac));
    }

    [Fact]
    public void Rejects_a_wrong_output_size()
    {
        Assert.Throws<ArgumentException>(() => Hmac.Sha224([1], [2], new byte[32]));
    }
}
