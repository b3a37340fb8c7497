namespace Keyward.Core.Seal;

/// <summary>
/// Holds the root key and performs AES-256-GCM under it. The root key itself never leaves the
/// seal: a file seal keeps it in pinned memory, a PKCS#11 seal inside the HSM.
/// </summary>
public interface ISeal : IDisposable
{
    /// <summary>A short description for logs (never key bytes).</summary>
    string Description { get; }

    /// <summary>Returns iv(12) ‖ ciphertext ‖ tag(16).</summary>
    byte[] Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad);

    /// <summary>Decrypts into <paramref name="destination"/> (length = input − 28); false if authentication fails.</summary>
    bool TryDecrypt(ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> aad, Span<byte> destination);
}
