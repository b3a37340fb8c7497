using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

using Keyward.Core.Crypto;

namespace Keyward.Core.Seal;

/// <summary>
/// The embedded-default seal: a 256-bit root key in a file (mode 0600) in the data directory.
/// Whoever reads the file and the database has every key; losing the file loses every key.
/// docs/operations.md says how to back it up. The key lives in a pinned array, zeroed on dispose.
/// </summary>
public sealed class FileSeal : ISeal
{
    private const string Magic = "keyward-file-seal v1";
    private readonly byte[] _rootKey = GC.AllocateArray<byte>(32, pinned: true);
    private readonly AesGcmPool _aes;

    public string Description { get; }

    private FileSeal(ReadOnlySpan<byte> key, string path)
    {
        key.CopyTo(_rootKey);
        _aes = new AesGcmPool(_rootKey);
        Description = $"file seal {path}";
    }

    /// <summary>Opens the seal file; creates it with a fresh random key only when <paramref name="create"/>.</summary>
    public static FileSeal Open(string path, bool create)
    {
        if (!File.Exists(path))
        {
            if (!create)
                throw new SealException($"The root key file '{path}' is missing, but the database already holds keys sealed under a root key. Restore the file from backup.");
            Span<byte> fresh = stackalloc byte[32];
            RandomNumberGenerator.Fill(fresh);
            try { WriteNew(path, fresh); return new FileSeal(fresh, path); }
            finally { CryptographicOperations.ZeroMemory(fresh); }
        }

        var lines = File.ReadAllLines(path);
        if (lines.Length < 2 || lines[0] != Magic)
            throw new SealException($"The root key file '{path}' is not a Keyward file seal.");
        var key = new byte[32];
        try
        {
            if (!Convert.TryFromBase64String(lines[1].Trim(), key, out var n) || n != 32)
                throw new SealException($"The root key file '{path}' is damaged.");
            return new FileSeal(key, path);
        }
        finally { CryptographicOperations.ZeroMemory(key); }
    }

    private static void WriteNew(string path, ReadOnlySpan<byte> key)
    {
        var text = Encoding.ASCII.GetBytes($"{Magic}\n{Convert.ToBase64String(key)}\n");
        try { PrivateFile.WriteNew(path, text); }
        finally { CryptographicOperations.ZeroMemory(text); }
    }

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad) => _aes.Encrypt(plaintext, aad);

    public bool TryDecrypt(ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> aad, Span<byte> destination) =>
        _aes.TryDecrypt(sealedData, aad, destination);

    public void Dispose()
    {
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_rootKey);
    }
}
