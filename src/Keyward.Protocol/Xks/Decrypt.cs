using System.Security.Cryptography;
using Keyward.Protocol.Model;

namespace Keyward.Protocol.Xks;

public sealed class XksDecryptRequest : IXksRequest
{
    public XksRequestMetadata? RequestMetadata { get; set; }
    public byte[]? Ciphertext { get; set; }
    public byte[]? CiphertextMetadata { get; set; }
    public string? EncryptionAlgorithm { get; set; }
    public byte[]? AdditionalAuthenticatedData { get; set; }
    public byte[]? AuthenticationTag { get; set; }
    public byte[]? InitializationVector { get; set; }
}

/// <summary>The decrypted plaintext: a secret the handler zeroes once it is serialized.</summary>
public sealed record XksDecryptResponse(byte[] Plaintext) : ISensitive
{
    public void ZeroSecrets() => CryptographicOperations.ZeroMemory(Plaintext);
}
