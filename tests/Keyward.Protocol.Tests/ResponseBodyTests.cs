using System.Text.Json;

namespace Keyward.Protocol.Tests;

/// <summary>The pooled response body: what is written is what it holds, across growth; every buffer it gives back is zeroed.</summary>
public sealed class ResponseBodyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(2048)]
    [InlineData(70_000)]
    public void A_body_holds_what_was_written_across_growth(int size)
    {
        var expected = new byte[size];
        new Random(size).NextBytes(expected);
        using var body = new ResponseBody(16);
        for (var at = 0; at < size;)
        {
            var span = body.GetSpan(7);
            var n = Math.Min(Math.Min(span.Length, 333), size - at);
            expected.AsSpan(at, n).CopyTo(span);
            body.Advance(n);
            at += n;
        }
        Assert.Equal(size, body.Length);
        Assert.Equal(expected, body.Memory.ToArray());
    }

    [Fact]
    public void A_json_writer_writes_through_it()
    {
        using var body = new ResponseBody(16);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("Plaintext", new string('x', 5000));
            writer.WriteEndObject();
        }
        var parsed = JsonDocument.Parse(body.Memory).RootElement.GetProperty("Plaintext").GetString();
        Assert.Equal(new string('x', 5000), parsed);
    }

    [Fact]
    public void Every_buffer_it_lets_go_of_is_zeroed_whole()
    {
        var body = new ResponseBody(64);
        // The first buffer: written in full (even past what is advanced), then outgrown.
        var first = body.GetMemory(1);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(first, out var firstArray));
        first.Span.Fill(0xAB);
        body.Advance(10);
        var second = body.GetMemory(firstArray.Array!.Length * 4);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(second, out var secondArray));
        Assert.All(firstArray.Array!, b => Assert.Equal(0, b));
        Assert.Equal(Enumerable.Repeat((byte)0xAB, 10), body.Memory.ToArray());
        second.Span.Fill(0xCD);
        body.Advance(5);
        body.Dispose();
        Assert.All(secondArray.Array!, b => Assert.Equal(0, b));
        Assert.Equal(0, body.Length);
        body.Dispose(); // twice is harmless
    }

    [Fact]
    public void Advancing_past_the_buffer_is_refused()
    {
        using var body = new ResponseBody(16);
        var free = body.GetSpan().Length;
        Assert.Throws<InvalidOperationException>(() => body.Advance(free + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => body.Advance(-1));
    }
}
