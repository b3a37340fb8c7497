using System.Buffers;
using System.Security.Cryptography;

namespace Keyward.Protocol;

/// <summary>
/// A request body in a pooled buffer (the KMS server and the XKS proxy). It may hold plaintext (base64), so the used part is
/// zeroed before the buffer goes back to the pool.
/// </summary>
public sealed class RequestBody : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public RequestBody(long? contentLength) =>
        _buffer = ArrayPool<byte>.Shared.Rent(contentLength is { } n and > 0 ? (int)n + 1 : 4096);

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>Reads to the end; false (with the read stopped) as soon as the body passes <paramref name="max"/> bytes.</summary>
    public async ValueTask<bool> ReadAsync(Stream stream, int max, CancellationToken ct)
    {
        while (true)
        {
            if (_length == _buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, max + 1));
                _buffer.AsSpan(0, _length).CopyTo(bigger);
                Release();
                _buffer = bigger;
            }
            var n = await stream.ReadAsync(_buffer.AsMemory(_length), ct);
            if (n == 0) return true;
            _length += n;
            if (_length > max) return false;
        }
    }

    private void Release()
    {
        CryptographicOperations.ZeroMemory(_buffer.AsSpan(0, _length));
        ArrayPool<byte>.Shared.Return(_buffer);
    }

    public void Dispose()
    {
        Release();
        _buffer = [];
        _length = 0;
    }
}
