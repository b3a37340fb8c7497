using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Keyward.Core.Crypto;

/// <summary>
/// AES-256-GCM with one fixed key and random 96-bit IVs: iv(12) ‖ ciphertext ‖ tag(16).
/// AesGcm instances are not thread-safe, so a few are pooled. Only for keys that encrypt a
/// bounded number of messages (the root key wraps one value per material version, far below
/// the 2^32 random-IV limit); per-request data uses derived keys instead.
/// </summary>
internal sealed class AesGcmPool : IDisposable
{
    public const int IvSize = 12;
    public const int TagSize = 16;
    public const int Overhead = IvSize + TagSize;

    private readonly byte[] _key;
    private readonly ConcurrentBag<AesGcm> _pool = new();

    public AesGcmPool(byte[] key) => _key = key;

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        var output = new byte[Overhead + plaintext.Length];
        var iv = output.AsSpan(0, IvSize);
        RandomNumberGenerator.Fill(iv);
        var aes = Rent();
        try { aes.Encrypt(iv, plaintext, output.AsSpan(IvSize, plaintext.Length), output.AsSpan(IvSize + plaintext.Length), aad); }
        finally { _pool.Add(aes); }
        return output;
    }

    public bool TryDecrypt(ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> aad, Span<byte> destination)
    {
        if (sealedData.Length < Overhead || destination.Length != sealedData.Length - Overhead) return false;
        var aes = Rent();
        try
        {
            aes.Decrypt(sealedData[..IvSize], sealedData[IvSize..^TagSize], sealedData[^TagSize..], destination, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(destination);
            return false;
        }
        finally { _pool.Add(aes); }
    }

    private AesGcm Rent() => _pool.TryTake(out var aes) ? aes : new AesGcm(_key, TagSize);

    public void Dispose()
    {
        while (_pool.TryTake(out var aes)) aes.Dispose();
    }
}
