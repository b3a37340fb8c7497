namespace Keyward.Protocol.Model;

/// <summary>
/// The Recipient member (a Nitro Enclaves attestation document). Keyward has no enclave
/// attestation, so the service refuses a request that carries one rather than answer in plaintext.
/// </summary>
public sealed class RecipientInfo
{
    public string? KeyEncryptionAlgorithm { get; set; }
    public byte[]? AttestationDocument { get; set; }
}
