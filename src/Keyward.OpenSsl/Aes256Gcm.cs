using System.Runtime.InteropServices;

namespace Keyward.OpenSsl;

/// <summary>
/// AES-256-GCM with a 96-bit IV and a 128-bit tag through an explicitly fetched cipher (<see cref="Fetched"/>), for a
/// key used once: each call makes a cipher context and frees it, which cleanses the key schedule. The same bytes as
/// the BCL's AesGcm, without its per-key fetch (a third of its cost for a kilobyte).
/// </summary>
public static partial class Aes256Gcm
{
    public const int KeySize = 32;
    public const int IvSize = 12;
    public const int TagSize = 16;

    private const int GetTag = 0x10; // EVP_CTRL_AEAD_GET_TAG
    private const int SetTag = 0x11; // EVP_CTRL_AEAD_SET_TAG

    public static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext,
        Span<byte> tag, ReadOnlySpan<byte> aad)
    {
        Check(key, iv, tag);
        if (ciphertext.Length != plaintext.Length) throw new ArgumentException("The ciphertext is as long as the plaintext.", nameof(ciphertext));
        var context = Begin(key, iv, aad, plaintext, ciphertext, encrypt: true);
        try
        {
            Span<byte> none = stackalloc byte[1];
            if (CipherFinal(context, none, out var last) != 1 || last != 0 || Ctrl(context, GetTag, TagSize, tag) != 1)
                throw Failure.Of("AES-256-GCM");
        }
        finally { CtxFree(context); }
    }

    /// <summary>False (and <paramref name="plaintext"/> zeroed) when the tag does not authenticate the ciphertext and AAD.</summary>
    public static bool TryDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag,
        Span<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        Check(key, iv, tag);
        if (plaintext.Length != ciphertext.Length) throw new ArgumentException("The plaintext is as long as the ciphertext.", nameof(plaintext));
        var context = Begin(key, iv, aad, ciphertext, plaintext, encrypt: false);
        try
        {
            Span<byte> expected = stackalloc byte[TagSize];
            tag.CopyTo(expected);
            if (Ctrl(context, SetTag, TagSize, expected) != 1) throw Failure.Of("AES-256-GCM");
            // The one failure of a well-formed call is a tag that does not match; whatever libcrypto queued for it is
            // emptied, so no later caller on this thread reads it as its own.
            Span<byte> none = stackalloc byte[1];
            if (CipherFinal(context, none, out _) == 1) return true;
            LibCrypto.ClearErrors();
            plaintext.Clear();
            return false;
        }
        finally { CtxFree(context); }
    }

    private static void Check(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> tag)
    {
        if (key.Length != KeySize) throw new ArgumentException("An AES-256 key is 32 bytes.", nameof(key));
        if (iv.Length != IvSize) throw new ArgumentException("The GCM IV is 12 bytes.", nameof(iv));
        if (tag.Length != TagSize) throw new ArgumentException("The GCM tag is 16 bytes.", nameof(tag));
    }

    /// <summary>
    /// A new context keyed for one message, with the AAD and the whole input already through it (GCM is a stream mode:
    /// each update writes exactly as many bytes as it reads). The caller finishes the tag and frees the context.
    /// </summary>
    private static IntPtr Begin(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> input,
        Span<byte> output, bool encrypt)
    {
        var context = CtxNew();
        if (context == IntPtr.Zero) throw Failure.Of("AES-256-GCM");
        var written = 0;
        if (CipherInit(context, Fetched.Aes256Gcm, key, iv, encrypt ? 1 : 0, IntPtr.Zero) == 1
            && (aad.IsEmpty || CipherUpdate(context, IntPtr.Zero, out _, aad, aad.Length) == 1)
            && (input.IsEmpty || (CipherUpdate(context, output, out written, input, input.Length) == 1 && written == input.Length)))
            return context;
        CtxFree(context);
        output.Clear(); // nothing half-written (a decryption's output is unauthenticated plaintext) is left behind
        throw Failure.Of("AES-256-GCM");
    }

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_CIPHER_CTX_new")]
    private static partial IntPtr CtxNew();

    /// <summary>Frees the context; the cipher's provider cleanses the key schedule first.</summary>
    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_CIPHER_CTX_free")]
    private static partial void CtxFree(IntPtr context);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_CipherInit_ex2")]
    private static partial int CipherInit(IntPtr context, IntPtr cipher, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, int encrypt,
        IntPtr parameters);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_CipherUpdate")]
    private static partial int CipherUpdate(IntPtr context, Span<byte> output, out int written, ReadOnlySpan<byte> input, int length);

    /// <summary>With a NULL output: the input is additional authenticated data.</summary>
    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_CipherUpdate")]
    private static partial int CipherUpdate(IntPtr context, IntPtr output, out int written, ReadOnlySpan<byte> input, int length);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_CipherFinal_ex")]
    private static partial int CipherFinal(IntPtr context, Span<byte> output, out int written);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_CIPHER_CTX_ctrl")]
    private static partial int Ctrl(IntPtr context, int type, int argument, Span<byte> pointer);
}
