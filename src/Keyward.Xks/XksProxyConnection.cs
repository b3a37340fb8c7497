using System.Security.Cryptography;
using Keyward.Core.KeyStores;
using Keyward.Protocol.Xks;

namespace Keyward.Xks;

/// <summary>
/// One external key store's proxy (<see cref="IXksProxy"/>) over an <see cref="XksClient"/>. The AAD sent to the proxy
/// is SHA-256 of the KMS-side AAD (blob header ‖ canonical encryption context): it binds the outer layer to the same
/// header and context while staying far below the proxy's 8,192-byte AAD minimum, whatever the context's size.
/// Encrypt asks for and checks the CDIV.
/// </summary>
internal sealed class XksProxyConnection(XksClient client) : IXksProxy
{
    public async Task<XksProxyHealth> HealthAsync(XksCall call, CancellationToken ct)
    {
        var r = await client.HealthAsync(call.KmsOperation, call.KmsRequestId, ct);
        return new XksProxyHealth(r.XksProxyFleetSize, r.EkmFleetDetails.Count, r.EkmFleetDetails.Count(d => d.HealthStatus == "UNAVAILABLE"));
    }

    public Task<XksKeyMetadataResponse> GetKeyMetadataAsync(string xksKeyId, XksCall call, CancellationToken ct) =>
        client.GetKeyMetadataAsync(Uri.EscapeDataString(xksKeyId), Metadata(call), ct);

    public async Task<byte[]> EncryptAsync(string xksKeyId, XksCall call, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, CancellationToken ct)
    {
        var r = await client.EncryptAsync(Uri.EscapeDataString(xksKeyId), Metadata(call), plaintext.ToArray(), SHA256.HashData(aad.Span), cdiv: true, ct);
        return XksEnvelope.Write(r);
    }

    public Task<byte[]> DecryptAsync(string xksKeyId, XksCall call, ReadOnlyMemory<byte> envelope, ReadOnlyMemory<byte> aad, CancellationToken ct)
    {
        if (!XksEnvelope.TryRead(envelope.Span, out var fields))
            throw new XksProxyException(XksProxyFailure.Refused, "The ciphertext's external key store envelope is malformed.") { ErrorName = XksErrorName.InvalidCiphertextException };
        return client.DecryptAsync(Uri.EscapeDataString(xksKeyId), Metadata(call), fields, SHA256.HashData(aad.Span), ct);
    }

    public void Dispose() { }

    private static XksRequestMetadata Metadata(XksCall call) => new()
    {
        AwsPrincipalArn = call.AwsPrincipalArn, KmsOperation = call.KmsOperation, KmsRequestId = call.KmsRequestId, KmsKeyArn = call.KmsKeyArn,
    };
}
