using System.Buffers;
using System.Security.Cryptography;

namespace Keyward.Protocol;

/// <summary>
/// A response body written into a pooled buffer (the KMS server's answers). It may hold plaintext (Decrypt,
/// GenerateDataKey, GenerateRandom), so every buffer it lets go of is zeroed whole first (a writer may have written past
/// what it advanced): the one outgrown, and the last at <see cref="Dispose"/>.
/// </summary>
public sealed class ResponseBody : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _length;

    public ResponseBody(int capacity = 2048) => _buffer = ArrayPool<byte>.Shared.Rent(capacity);

    /// <summary>A body of exactly <paramref name="bytes"/>.</summary>
    public static ResponseBody Of(ReadOnlySpan<byte> bytes)
    {
        var body = new ResponseBody(bytes.Length);
        bytes.CopyTo(body._buffer);
        body._length = bytes.Length;
        return body;
    }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    public int Length => _length;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _length) throw new InvalidOperationException("Advanced past the buffer.");
        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_length);
    }

    private void Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _length >= needed) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, checked(_length + needed)));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        Release();
        _buffer = bigger;
    }

    private void Release()
    {
        CryptographicOperations.ZeroMemory(_buffer);
        ArrayPool<byte>.Shared.Return(_buffer);
    }

    public void Dispose()
    {
        if (_buffer.Length == 0) return;
        Release();
        _buffer = [];
        _length = 0;
    }
}
