using System.Buffers;

namespace Keyward.Protocol.SigV4;

/// <summary>
/// Text assembled in a pooled buffer, for the canonical request and the string to sign, which
/// are only ever hashed: no builder chunks and no intermediate strings per request.
/// </summary>
internal ref struct PooledText
{
    private char[] _buffer;
    private int _length;

    public PooledText(int capacity)
    {
        _buffer = ArrayPool<char>.Shared.Rent(capacity);
        _length = 0;
    }

    public readonly ReadOnlySpan<char> Span => _buffer.AsSpan(0, _length);

    public void Append(char c)
    {
        if (_length == _buffer.Length) Grow(1);
        _buffer[_length++] = c;
    }

    public void Append(scoped ReadOnlySpan<char> text)
    {
        if (_length + text.Length > _buffer.Length) Grow(text.Length);
        text.CopyTo(_buffer.AsSpan(_length));
        _length += text.Length;
    }

    /// <summary>Appends <paramref name="bytes"/> as lower-case hex.</summary>
    public void AppendHex(scoped ReadOnlySpan<byte> bytes)
    {
        if (_length + 2 * bytes.Length > _buffer.Length) Grow(2 * bytes.Length);
        Convert.TryToHexStringLower(bytes, _buffer.AsSpan(_length), out var written);
        _length += written;
    }

    private void Grow(int more)
    {
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<char>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    public void Dispose()
    {
        ArrayPool<char>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
    }
}
