using System.Security.Cryptography;
using Keyward.Protocol;
using Xunit;

namespace Keyward.Protocol.Tests;

public class ConstantTimeTests
{
    [Fact]
    public void Equal_bytes_of_every_length_up_to_a_few_vectors_are_equal()
    {
        for (var n = 0; n <= 70; n++)
        {
            var a = RandomNumberGenerator.GetBytes(n);
            Assert.True(ConstantTime.AreEqual(a, a.ToArray()), $"length {n}");
        }
    }

    [Fact]
    public void A_difference_in_any_bit_of_any_byte_is_found()
    {
        for (var n = 1; n <= 70; n++)
        {
            var a = RandomNumberGenerator.GetBytes(n);
            for (var at = 0; at < n; at++)
                for (var bit = 0; bit < 8; bit++)
                {
                    var b = a.ToArray();
                    b[at] ^= (byte)(1 << bit);
                    Assert.False(ConstantTime.AreEqual(a, b), $"length {n}, byte {at}, bit {bit}");
                    Assert.False(ConstantTime.AreEqual(b, a), $"length {n}, byte {at}, bit {bit}");
                }
        }
    }

    [Fact]
    public void Different_lengths_are_not_equal_even_when_one_is_a_prefix_of_the_other()
    {
        var a = RandomNumberGenerator.GetBytes(40);
        Assert.False(ConstantTime.AreEqual(a, a.AsSpan(0, 39)));
        Assert.False(ConstantTime.AreEqual(a.AsSpan(0, 16), a));
        Assert.False(ConstantTime.AreEqual([], a));
        Assert.True(ConstantTime.AreEqual(ReadOnlySpan<byte>.Empty, []));
    }

    [Fact]
    public void It_agrees_with_the_bcl_on_random_pairs()
    {
        var random = new Random(20261207);
        for (var i = 0; i < 20_000; i++)
        {
            var a = new byte[random.Next(0, 80)];
            random.NextBytes(a);
            var b = a.ToArray();
            // Half the pairs differ in one to three random bytes, some in a different length.
            if (i % 2 == 1)
                for (var k = random.Next(1, 4); k > 0 && b.Length > 0; k--) b[random.Next(b.Length)] ^= (byte)random.Next(1, 256);
            if (i % 7 == 0) b = b.Concat(new byte[] { 0 }).ToArray();
            Assert.Equal(CryptographicOperations.FixedTimeEquals(a, b), ConstantTime.AreEqual(a, b));
        }
    }

    [Fact]
    public void Texts_compare_by_their_code_units()
    {
        Assert.True(ConstantTime.AreEqual("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0".AsSpan(),
            "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0".AsSpan()));
        Assert.False(ConstantTime.AreEqual("abc".AsSpan(), "abd".AsSpan()));
        // U+0141 and U+0041 share their low byte: only the high byte of the code unit tells them apart.
        Assert.False(ConstantTime.AreEqual("\u0141".AsSpan(), "\u0041".AsSpan()));
    }
}
