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

    /// <summary>Runs one operation and returns the serialized response body (which the caller zeroes after sending).</summary>
    public ValueTask<byte[]> InvokeAsync(KmsOperation operation, ReadOnlyMemory<byte> body, Principal caller, CancellationToken ct) => operation switch
    {
        KmsOperation.CreateKey => Run(body, Json.CreateKeyRequest, Json.CreateKeyResponse, r => service.CreateKeyAsync(caller, r, ct)),
        KmsOperation.DescribeKey => Run(body, Json.DescribeKeyRequest, Json.DescribeKeyResponse, r => service.DescribeKeyAsync(caller, r, ct)),
        KmsOperation.ListKeys => Run(body, Json.ListKeysRequest, Json.ListKeysResponse, r => service.ListKeysAsync(caller, r, ct)),
        KmsOperation.EnableKey => Run(body, Json.KeyIdRequest, r => service.EnableKeyAsync(caller, r.KeyId!, ct)),
        KmsOperation.DisableKey => Run(body, Json.KeyIdRequest, r => service.DisableKeyAsync(caller, r.KeyId!, ct)),
        KmsOperation.UpdateKeyDescription => Run(body, Json.UpdateKeyDescriptionRequest, r => service.UpdateKeyDescriptionAsync(caller, r, ct)),
        KmsOperation.ScheduleKeyDeletion => Run(body, Json.ScheduleKeyDeletionRequest, Json.ScheduleKeyDeletionResponse, r => service.ScheduleKeyDeletionAsync(caller, r, ct)),
        KmsOperation.CancelKeyDeletion => Run(body, Json.KeyIdRequest, Json.CancelKeyDeletionResponse, r => service.CancelKeyDeletionAsync(caller, r.KeyId!, ct)),
        KmsOperation.Encrypt => Run(body, Json.EncryptRequest, Json.EncryptResponse, r => service.EncryptAsync(caller, r, ct)),
        KmsOperation.Decrypt => Run(body, Json.DecryptRequest, Json.DecryptResponse, r => service.DecryptAsync(caller, r, ct)),
        KmsOperation.ReEncrypt => Run(body, Json.ReEncryptRequest, Json.ReEncryptResponse, r => service.ReEncryptAsync(caller, r, ct)),
        KmsOperation.GenerateDataKey => Run(body, Json.GenerateDataKeyRequest, Json.GenerateDataKeyResponse, r => service.GenerateDataKeyAsync(caller, r, withPlaintext: true, ct)),
        KmsOperation.GenerateDataKeyWithoutPlaintext => Run(body, Json.GenerateDataKeyRequest, Json.GenerateDataKeyResponse, r => service.GenerateDataKeyAsync(caller, r, withPlaintext: false, ct)),
        KmsOperation.GenerateRandom => Run(body, Json.GenerateRandomRequest, Json.GenerateRandomResponse, r => service.GenerateRandomAsync(caller, r, ct)),
        KmsOperation.CreateCustomKeyStore => Run(body, Json.CreateCustomKeyStoreRequest, Json.CreateCustomKeyStoreResponse, r => service.CreateCustomKeyStoreAsync(caller, r, ct)),
        KmsOperation.DescribeCustomKeyStores => Run(body, Json.DescribeCustomKeyStoresRequest, Json.DescribeCustomKeyStoresResponse, r => service.DescribeCustomKeyStoresAsync(caller, r, ct)),
        KmsOperation.ConnectCustomKeyStore => Run(body, Json.CustomKeyStoreIdRequest, r => service.ConnectCustomKeyStoreAsync(caller, r, ct)),
        KmsOperation.DisconnectCustomKeyStore => Run(body, Json.CustomKeyStoreIdRequest, r => service.DisconnectCustomKeyStoreAsync(caller, r, ct)),
        KmsOperation.UpdateCustomKeyStore => Run(body, Json.UpdateCustomKeyStoreRequest, r => service.UpdateCustomKeyStoreAsync(caller, r, ct)),
        KmsOperation.DeleteCustomKeyStore => Run(body, Json.CustomKeyStoreIdRequest, r => service.DeleteCustomKeyStoreAsync(caller, r, ct)),
        KmsOperation.CreateAlias => Run(body, Json.AliasTargetRequest, r => service.CreateAliasAsync(caller, r, ct)),
        KmsOperation.UpdateAlias => Run(body, Json.AliasTargetRequest, r => service.UpdateAliasAsync(caller, r, ct)),
        KmsOperation.DeleteAlias => Run(body, Json.DeleteAliasRequest, r => service.DeleteAliasAsync(caller, r, ct)),
        KmsOperation.ListAliases => Run(body, Json.ListAliasesRequest, Json.ListAliasesResponse, r => service.ListAliasesAsync(caller, r, ct)),
        KmsOperation.TagResource => Run(body, Json.TagResourceRequest, r => service.TagResourceAsync(caller, r, ct)),
        KmsOperation.UntagResource => Run(body, Json.UntagResourceRequest, r => service.UntagResourceAsync(caller, r, ct)),
        KmsOperation.ListResourceTags => Run(body, Json.ListResourceTagsRequest, Json.ListResourceTagsResponse, r => service.ListResourceTagsAsync(caller, r, ct)),
        KmsOperation.GetKeyPolicy => Run(body, Json.GetKeyPolicyRequest, Json.GetKeyPolicyResponse, r => service.GetKeyPolicyAsync(caller, r, ct)),
        KmsOperation.PutKeyPolicy => Run(body, Json.PutKeyPolicyRequest, r => service.PutKeyPolicyAsync(caller, r, ct)),
        KmsOperation.ListKeyPolicies => Run(body, Json.ListKeyPoliciesRequest, Json.ListKeyPoliciesResponse, r => service.ListKeyPoliciesAsync(caller, r, ct)),
        KmsOperation.Sign => Run(body, Json.SignRequest, Json.SignResponse, r => service.SignAsync(caller, r, ct)),
        KmsOperation.Verify => Run(body, Json.VerifyRequest, Json.VerifyResponse, r => service.VerifyAsync(caller, r, ct)),
        KmsOperation.GetPublicKey => Run(body, Json.GetPublicKeyRequest, Json.GetPublicKeyResponse, r => service.GetPublicKeyAsync(caller, r, ct)),
        KmsOperation.GenerateMac => Run(body, Json.GenerateMacRequest, Json.GenerateMacResponse, r => service.GenerateMacAsync(caller, r, ct)),
        KmsOperation.VerifyMac => Run(body, Json.VerifyMacRequest, Json.VerifyMacResponse, r => service.VerifyMacAsync(caller, r, ct)),
        KmsOperation.GenerateDataKeyPair => Run(body, Json.GenerateDataKeyPairRequest, Json.GenerateDataKeyPairResponse, r => service.GenerateDataKeyPairAsync(caller, r, withPlaintext: true, ct)),
        KmsOperation.GenerateDataKeyPairWithoutPlaintext => Run(body, Json.GenerateDataKeyPairRequest, Json.GenerateDataKeyPairResponse, r => service.GenerateDataKeyPairAsync(caller, r, withPlaintext: false, ct)),
        KmsOperation.DeriveSharedSecret => Run(body, Json.DeriveSharedSecretRequest, Json.DeriveSharedSecretResponse, r => service.DeriveSharedSecretAsync(caller, r, ct)),
        KmsOperation.EnableKeyRotation => Run(body, Json.EnableKeyRotationRequest, r => service.EnableKeyRotationAsync(caller, r, ct)),
        KmsOperation.DisableKeyRotation => Run(body, Json.KeyIdRequest, r => service.DisableKeyRotationAsync(caller, r.KeyId!, ct)),
        KmsOperation.GetKeyRotationStatus => Run(body, Json.KeyIdRequest, Json.GetKeyRotationStatusResponse, r => service.GetKeyRotationStatusAsync(caller, r.KeyId!, ct)),
        KmsOperation.RotateKeyOnDemand => Run(body, Json.KeyIdRequest, Json.RotateKeyOnDemandResponse, r => service.RotateKeyOnDemandAsync(caller, r.KeyId!, ct)),
        KmsOperation.ListKeyRotations => Run(body, Json.ListKeyRotationsRequest, Json.ListKeyRotationsResponse, r => service.ListKeyRotationsAsync(caller, r, ct)),
        KmsOperation.GetParametersForImport => Run(body, Json.GetParametersForImportRequest, Json.GetParametersForImportResponse, r => service.GetParametersForImportAsync(caller, r, ct)),
        KmsOperation.ImportKeyMaterial => Run(body, Json.ImportKeyMaterialRequest, Json.KeyMaterialResponse, r => service.ImportKeyMaterialAsync(caller, r, ct)),
        KmsOperation.DeleteImportedKeyMaterial => Run(body, Json.DeleteImportedKeyMaterialRequest, Json.KeyMaterialResponse, r => service.DeleteImportedKeyMaterialAsync(caller, r, ct)),
        _ => throw new KmsException(KmsErrorCode.UnsupportedOperationException, $"{operation} is not supported by this server."),
    };

    private static async ValueTask<byte[]> Run<TRequest, TResponse>(ReadOnlyMemory<byte> body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, Func<TRequest, ValueTask<TResponse>> call)
        where TRequest : class, IValidatable
    {
        var request = Parse(body, requestType);
        TResponse response;
        try { response = await call(request); }
        finally { (request as ISensitive)?.ZeroSecrets(); }
        try { return JsonSerializer.SerializeToUtf8Bytes(response, responseType); }
        finally { (response as ISensitive)?.ZeroSecrets(); }
    }

    private static async ValueTask<byte[]> Run<TRequest>(ReadOnlyMemory<byte> body, JsonTypeInfo<TRequest> requestType, Func<TRequest, ValueTask> call)
        where TRequest : class, IValidatable
    {
        await call(Parse(body, requestType));
        // A fresh array: the handler zeroes every response body after sending it.
        return "{}"u8.ToArray();
    }

    /// <summary>
    /// Malformed JSON, a wrong JSON type or bad base64 is SerializationException; broken model
    /// constraints are ValidationException. An empty body means "no members", as AWS accepts.
    /// </summary>
    private static TRequest Parse<TRequest>(ReadOnlyMemory<byte> body, JsonTypeInfo<TRequest> type) where TRequest : class, IValidatable
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
