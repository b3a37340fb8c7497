using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Keyward.Core.Identity;
using Keyward.Core.Service;
using Keyward.Protocol;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Json;
using Keyward.Protocol.Model;
using Keyward.Protocol.Validation;

namespace Keyward.Server.Dispatch;

/// <summary>
/// Maps each operation to its request and response serializers and its service method: one
/// static switch, no reflection. Every request is deserialized with the source-generated
/// context, checked against the model's constraints, then handed to the service.
/// </summary>
internal sealed class KmsDispatcher(KmsService service)
{
    private static readonly KmsJsonContext Json = KmsJsonContext.Default;

    /// <summary>Charges the request to its operation's quota; throws ThrottlingException when the quota is spent.</summary>
    public void Charge(Caller caller) => service.ChargeRequest(caller);

    /// <summary>Runs one operation and returns the serialized response body (which the caller disposes, zeroing it, after sending).</summary>
    public ValueTask<ResponseBody> InvokeAsync(KmsOperation operation, ReadOnlyMemory<byte> body, Caller caller, CancellationToken ct) => operation switch
    {
        KmsOperation.CreateKey => Run(body, caller, Json.CreateKeyRequest, Json.CreateKeyResponse, (r, c) => service.CreateKeyAsync(c, r, ct)),
        KmsOperation.DescribeKey => Run(body, caller, Json.DescribeKeyRequest, Json.DescribeKeyResponse, (r, c) => service.DescribeKeyAsync(c, r, ct)),
        KmsOperation.ListKeys => Run(body, caller, Json.ListKeysRequest, Json.ListKeysResponse, (r, c) => service.ListKeysAsync(c, r, ct)),
        KmsOperation.EnableKey => Run(body, caller, Json.KeyIdRequest, (r, c) => service.EnableKeyAsync(c, r.KeyId!, ct)),
        KmsOperation.DisableKey => Run(body, caller, Json.KeyIdRequest, (r, c) => service.DisableKeyAsync(c, r.KeyId!, ct)),
        KmsOperation.ReplicateKey => Run(body, caller, Json.ReplicateKeyRequest, Json.ReplicateKeyResponse, (r, c) => service.ReplicateKeyAsync(c, r, ct)),
        KmsOperation.UpdatePrimaryRegion => Run(body, caller, Json.UpdatePrimaryRegionRequest, (r, c) => service.UpdatePrimaryRegionAsync(c, r, ct)),
        KmsOperation.UpdateKeyDescription => Run(body, caller, Json.UpdateKeyDescriptionRequest, (r, c) => service.UpdateKeyDescriptionAsync(c, r, ct)),
        KmsOperation.ScheduleKeyDeletion => Run(body, caller, Json.ScheduleKeyDeletionRequest, Json.ScheduleKeyDeletionResponse, (r, c) => service.ScheduleKeyDeletionAsync(c, r, ct)),
        KmsOperation.CancelKeyDeletion => Run(body, caller, Json.KeyIdRequest, Json.CancelKeyDeletionResponse, (r, c) => service.CancelKeyDeletionAsync(c, r.KeyId!, ct)),
        KmsOperation.Encrypt => Run(body, caller, Json.EncryptRequest, Json.EncryptResponse, (r, c) => service.EncryptAsync(c, r, ct)),
        KmsOperation.Decrypt => Run(body, caller, Json.DecryptRequest, Json.DecryptResponse, (r, c) => service.DecryptAsync(c, r, ct)),
        KmsOperation.ReEncrypt => Run(body, caller, Json.ReEncryptRequest, Json.ReEncryptResponse, (r, c) => service.ReEncryptAsync(c, r, ct)),
        KmsOperation.GenerateDataKey => Run(body, caller, Json.GenerateDataKeyRequest, Json.GenerateDataKeyResponse, (r, c) => service.GenerateDataKeyAsync(c, r, withPlaintext: true, ct)),
        KmsOperation.GenerateDataKeyWithoutPlaintext => Run(body, caller, Json.GenerateDataKeyRequest, Json.GenerateDataKeyResponse, (r, c) => service.GenerateDataKeyAsync(c, r, withPlaintext: false, ct)),
        KmsOperation.GenerateRandom => Run(body, caller, Json.GenerateRandomRequest, Json.GenerateRandomResponse, (r, c) => service.GenerateRandomAsync(c, r, ct)),
        KmsOperation.CreateCustomKeyStore => Run(body, caller, Json.CreateCustomKeyStoreRequest, Json.CreateCustomKeyStoreResponse, (r, c) => service.CreateCustomKeyStoreAsync(c, r, ct)),
        KmsOperation.DescribeCustomKeyStores => Run(body, caller, Json.DescribeCustomKeyStoresRequest, Json.DescribeCustomKeyStoresResponse, (r, c) => service.DescribeCustomKeyStoresAsync(c, r, ct)),
        KmsOperation.ConnectCustomKeyStore => Run(body, caller, Json.CustomKeyStoreIdRequest, (r, c) => service.ConnectCustomKeyStoreAsync(c, r, ct)),
        KmsOperation.DisconnectCustomKeyStore => Run(body, caller, Json.CustomKeyStoreIdRequest, (r, c) => service.DisconnectCustomKeyStoreAsync(c, r, ct)),
        KmsOperation.UpdateCustomKeyStore => Run(body, caller, Json.UpdateCustomKeyStoreRequest, (r, c) => service.UpdateCustomKeyStoreAsync(c, r, ct)),
        KmsOperation.DeleteCustomKeyStore => Run(body, caller, Json.CustomKeyStoreIdRequest, (r, c) => service.DeleteCustomKeyStoreAsync(c, r, ct)),
        KmsOperation.CreateAlias => Run(body, caller, Json.AliasTargetRequest, (r, c) => service.CreateAliasAsync(c, r, ct)),
        KmsOperation.UpdateAlias => Run(body, caller, Json.AliasTargetRequest, (r, c) => service.UpdateAliasAsync(c, r, ct)),
        KmsOperation.DeleteAlias => Run(body, caller, Json.DeleteAliasRequest, (r, c) => service.DeleteAliasAsync(c, r, ct)),
        KmsOperation.ListAliases => Run(body, caller, Json.ListAliasesRequest, Json.ListAliasesResponse, (r, c) => service.ListAliasesAsync(c, r, ct)),
        KmsOperation.TagResource => Run(body, caller, Json.TagResourceRequest, (r, c) => service.TagResourceAsync(c, r, ct)),
        KmsOperation.UntagResource => Run(body, caller, Json.UntagResourceRequest, (r, c) => service.UntagResourceAsync(c, r, ct)),
        KmsOperation.ListResourceTags => Run(body, caller, Json.ListResourceTagsRequest, Json.ListResourceTagsResponse, (r, c) => service.ListResourceTagsAsync(c, r, ct)),
        KmsOperation.GetKeyPolicy => Run(body, caller, Json.GetKeyPolicyRequest, Json.GetKeyPolicyResponse, (r, c) => service.GetKeyPolicyAsync(c, r, ct)),
        KmsOperation.PutKeyPolicy => Run(body, caller, Json.PutKeyPolicyRequest, (r, c) => service.PutKeyPolicyAsync(c, r, ct)),
        KmsOperation.ListKeyPolicies => Run(body, caller, Json.ListKeyPoliciesRequest, Json.ListKeyPoliciesResponse, (r, c) => service.ListKeyPoliciesAsync(c, r, ct)),
        KmsOperation.Sign => Run(body, caller, Json.SignRequest, Json.SignResponse, (r, c) => service.SignAsync(c, r, ct)),
        KmsOperation.Verify => Run(body, caller, Json.VerifyRequest, Json.VerifyResponse, (r, c) => service.VerifyAsync(c, r, ct)),
        KmsOperation.GetPublicKey => Run(body, caller, Json.GetPublicKeyRequest, Json.GetPublicKeyResponse, (r, c) => service.GetPublicKeyAsync(c, r, ct)),
        KmsOperation.GenerateMac => Run(body, caller, Json.GenerateMacRequest, Json.GenerateMacResponse, (r, c) => service.GenerateMacAsync(c, r, ct)),
        KmsOperation.VerifyMac => Run(body, caller, Json.VerifyMacRequest, Json.VerifyMacResponse, (r, c) => service.VerifyMacAsync(c, r, ct)),
        KmsOperation.GenerateDataKeyPair => Run(body, caller, Json.GenerateDataKeyPairRequest, Json.GenerateDataKeyPairResponse, (r, c) => service.GenerateDataKeyPairAsync(c, r, withPlaintext: true, ct)),
        KmsOperation.GenerateDataKeyPairWithoutPlaintext => Run(body, caller, Json.GenerateDataKeyPairRequest, Json.GenerateDataKeyPairResponse, (r, c) => service.GenerateDataKeyPairAsync(c, r, withPlaintext: false, ct)),
        KmsOperation.Encapsulate => Run(body, caller, Json.EncapsulateRequest, Json.EncapsulateResponse, (r, c) => service.EncapsulateAsync(c, r, ct)),
        KmsOperation.Decapsulate => Run(body, caller, Json.DecapsulateRequest, Json.DecapsulateResponse, (r, c) => service.DecapsulateAsync(c, r, ct)),
        KmsOperation.DeriveSharedSecret => Run(body, caller, Json.DeriveSharedSecretRequest, Json.DeriveSharedSecretResponse, (r, c) => service.DeriveSharedSecretAsync(c, r, ct)),
        KmsOperation.EnableKeyRotation => Run(body, caller, Json.EnableKeyRotationRequest, (r, c) => service.EnableKeyRotationAsync(c, r, ct)),
        KmsOperation.DisableKeyRotation => Run(body, caller, Json.KeyIdRequest, (r, c) => service.DisableKeyRotationAsync(c, r.KeyId!, ct)),
        KmsOperation.GetKeyRotationStatus => Run(body, caller, Json.KeyIdRequest, Json.GetKeyRotationStatusResponse, (r, c) => service.GetKeyRotationStatusAsync(c, r.KeyId!, ct)),
        KmsOperation.RotateKeyOnDemand => Run(body, caller, Json.KeyIdRequest, Json.RotateKeyOnDemandResponse, (r, c) => service.RotateKeyOnDemandAsync(c, r.KeyId!, ct)),
        KmsOperation.ListKeyRotations => Run(body, caller, Json.ListKeyRotationsRequest, Json.ListKeyRotationsResponse, (r, c) => service.ListKeyRotationsAsync(c, r, ct)),
        KmsOperation.GetParametersForImport => Run(body, caller, Json.GetParametersForImportRequest, Json.GetParametersForImportResponse, (r, c) => service.GetParametersForImportAsync(c, r, ct)),
        KmsOperation.ImportKeyMaterial => Run(body, caller, Json.ImportKeyMaterialRequest, Json.KeyMaterialResponse, (r, c) => service.ImportKeyMaterialAsync(c, r, ct)),
        KmsOperation.DeleteImportedKeyMaterial => Run(body, caller, Json.DeleteImportedKeyMaterialRequest, Json.KeyMaterialResponse, (r, c) => service.DeleteImportedKeyMaterialAsync(c, r, ct)),
        KmsOperation.GetKeyLastUsage => Run(body, caller, Json.GetKeyLastUsageRequest, Json.GetKeyLastUsageResponse, (r, c) => service.GetKeyLastUsageAsync(c, r, ct)),
        KmsOperation.CreateGrant => Run(body, caller, Json.CreateGrantRequest, Json.CreateGrantResponse, (r, c) => service.CreateGrantAsync(c, r, ct)),
        KmsOperation.ListGrants => Run(body, caller, Json.ListGrantsRequest, Json.ListGrantsResponse, (r, c) => service.ListGrantsAsync(c, r, ct)),
        KmsOperation.ListRetirableGrants => Run(body, caller, Json.ListRetirableGrantsRequest, Json.ListGrantsResponse, (r, c) => service.ListRetirableGrantsAsync(c, r, ct)),
        KmsOperation.RetireGrant => Run(body, caller, Json.RetireGrantRequest, (r, c) => service.RetireGrantAsync(c, r, ct)),
        KmsOperation.RevokeGrant => Run(body, caller, Json.RevokeGrantRequest, (r, c) => service.RevokeGrantAsync(c, r, ct)),
        _ => throw new KmsException(KmsErrorCode.UnsupportedOperationException, $"{operation} is not supported by this server."),
    };

    private static async ValueTask<ResponseBody> Run<TRequest, TResponse>(ReadOnlyMemory<byte> body, Caller caller, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, Func<TRequest, Caller, ValueTask<TResponse>> call)
        where TRequest : class, IValidatable
    {
        var request = Parse(body, requestType);
        TResponse response;
        try { response = await call(request, WithFacts(caller, request)); }
        finally { (request as ISensitive)?.ZeroSecrets(); }
        try { return Serialize(response, responseType); }
        finally { (response as ISensitive)?.ZeroSecrets(); }
    }

    private static async ValueTask<ResponseBody> Run<TRequest>(ReadOnlyMemory<byte> body, Caller caller, JsonTypeInfo<TRequest> requestType,
        Func<TRequest, Caller, ValueTask> call)
        where TRequest : class, IValidatable
    {
        var request = Parse(body, requestType);
        await call(request, WithFacts(caller, request));
        return ResponseBody.Of("{}"u8);
    }

    // One JSON writer per thread, reset onto each response: serialization never awaits, so a thread finishes one
    // response before it starts another. The writer keeps no bytes of its own once flushed.
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>The response serialized into a pooled body (zeroed when disposed, and if serialization fails).</summary>
    private static ResponseBody Serialize<TResponse>(TResponse response, JsonTypeInfo<TResponse> type)
    {
        var body = new ResponseBody();
        try
        {
            var writer = t_writer ??= new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = type.Options.Encoder, SkipValidation = true });
            writer.Reset(body);
            try
            {
                JsonSerializer.Serialize(writer, response, type);
                writer.Flush();
            }
            finally { writer.Reset(); }
            return body;
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    /// <summary>The grant tokens and encryption context of the request, for policy conditions and grants.</summary>
    private static Caller WithFacts(Caller caller, object request) => caller with
    {
        GrantTokens = (request as IGrantTokens)?.GrantTokens,
        EncryptionContext = (request as IEncryptionContext)?.EncryptionContext,
    };

    /// <summary>
    /// Malformed JSON, a wrong JSON type or bad base64 is SerializationException; broken model
    /// constraints are ValidationException. An empty body means "no members", as AWS accepts.
    /// </summary>
    internal static TRequest Parse<TRequest>(ReadOnlyMemory<byte> body, JsonTypeInfo<TRequest> type) where TRequest : class, IValidatable
    {
        var span = body.Span.Trim(" \t\r\n"u8);
        TRequest? request;
        try
        {
            request = span.IsEmpty ? JsonSerializer.Deserialize("{}"u8, type) : JsonSerializer.Deserialize(span, type);
        }
        catch (JsonException e)
        {
            throw new KmsException(KmsErrorCode.SerializationException, e.Path is { Length: > 1 } path
                ? $"The value at '{path[2..]}' could not be deserialized: it is not valid for the member's type."
                : "The request body is not a valid JSON object.");
        }
        if (request is null) throw new KmsException(KmsErrorCode.SerializationException, "The request body is not a valid JSON object.");
        var errors = new ValidationErrors();
        request.Validate(errors);
        errors.ThrowIfAny();
        return request;
    }
}
