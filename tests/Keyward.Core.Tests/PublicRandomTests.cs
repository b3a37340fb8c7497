using Keyward.Core.Crypto;

namespace Keyward.Core.Tests;

/// <summary>PublicRandom hands each byte of its per-thread buffer out once, across refills, threads and sizes.</summary>
public sealed class PublicRandomTests
{
    [Theory]
    [InlineData(28)] // a software-store nonce and IV: 4096 is not a multiple, so refills leave a tail unused
    [InlineData(16)] // a UUID
    [InlineData(1)]
    [InlineData(256)] // the largest size cut from the buffer
    [InlineData(257)] // straight from RandomNumberGenerator
    [InlineData(5000)]
    public void Draws_do_not_repeat_across_refills(int size)
    {
        var count = Math.Max(64, 3 * 4096 / size + 8); // three refills and more
        var seen = new HashSet<string>();
        var buffer = new byte[size];
        for (var i = 0; i < count; i++)
        {
            PublicRandom.Fill(buffer);
            if (size >= 8) Assert.True(seen.Add(Convert.ToHexString(buffer)), $"draw {i} of {size} bytes repeated");
        }
        if (size < 8) return;
        // Random, not zeros and not a counter: every byte value shows up across the draws.
        var bytes = new bool[256];
        for (var i = 0; i < 64; i++)
        {
            PublicRandom.Fill(buffer);
            foreach (var b in buffer) bytes[b] = true;
        }
        Assert.True(bytes.Count(b => b) > (size * 64 >= 2048 ? 250 : 100), "the draws look random");
    }

    [Fact]
    public void Single_bytes_are_uniform_enough()
    {
        var counts = new int[256];
        Span<byte> one = stackalloc byte[1];
        for (var i = 0; i < 256 * 400; i++)
        {
            PublicRandom.Fill(one);
            counts[one[0]]++;
        }
        // 400 expected per value; a standard deviation is 20. Zeros left behind by the buffer's clearing would show here.
        Assert.All(counts, c => Assert.InRange(c, 250, 550));
    }

    [Fact]
    public void An_empty_destination_takes_nothing()
    {
        PublicRandom.Fill(Span<byte>.Empty);
        var buffer = new byte[16];
        PublicRandom.Fill(buffer);
        Assert.Contains(buffer, b => b != 0);
    }

    [Fact]
    public void Threads_draw_different_bytes()
    {
        var draws = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            var buffer = new byte[28];
            for (var i = 0; i < 500; i++)
            {
                PublicRandom.Fill(buffer);
                draws.Add(Convert.ToHexString(buffer));
            }
        });
        Assert.Equal(draws.Count, draws.Distinct().Count());
    }
}
