using System.Security.Cryptography;
using Keyward.Protocol.Model;

namespace Keyward.Protocol.Xks;

/// <summary>An XKS Encrypt request; <see cref="Plaintext"/> is a secret the handler zeroes after use.</summary>
public sealed class XksEncryptRequest : IXksRequest, ISensitive
{
    public XksRequestMetadata? RequestMetadata { get; set; }
    public byte[]? Plaintext { get; set; }
    public byte[]? AdditionalAuthenticatedData { get; set; }
    public string? EncryptionAlgorithm { get; set; }
    public string? CiphertextDataIntegrityValueAlgorithm { get; set; }

    public void ZeroSecrets()
    {
        if (Plaintext is not null) CryptographicOperations.ZeroMemory(Plaintext);
    }
}

public sealed record XksEncryptResponse(byte[] Ciphertext, byte[] InitializationVector, byte[] AuthenticationTag)
{
    public byte[]? CiphertextMetadata { get; init; }
    public byte[]? CiphertextDataIntegrityValue { get; init; }
}
