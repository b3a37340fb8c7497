using System.Text.Json.Serialization;
using Keyward.Protocol.Model;
using Keyward.Protocol.Operations;

namespace Keyward.Protocol.Json;

/// <summary>
/// Source-generated serializers for every KMS request and response. Member names are the wire
/// names verbatim (no naming policy), matching is case-sensitive as in AWS, unknown members are
/// ignored, a member given twice is refused (what runs must be what is audited: the audit copies the
/// body, and a reader that took the last of two KeyIds would run on one and show both), and nulls
/// are left out of responses.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false,
    AllowDuplicateProperties = false,
    Converters = [typeof(EpochSecondsConverter)])]
[JsonSerializable(typeof(CreateCustomKeyStoreRequest))]
[JsonSerializable(typeof(CreateCustomKeyStoreResponse))]
[JsonSerializable(typeof(CustomKeyStoreIdRequest))]
[JsonSerializable(typeof(DescribeCustomKeyStoresRequest))]
[JsonSerializable(typeof(DescribeCustomKeyStoresResponse))]
[JsonSerializable(typeof(UpdateCustomKeyStoreRequest))]
[JsonSerializable(typeof(CreateGrantRequest))]
[JsonSerializable(typeof(CreateGrantResponse))]
[JsonSerializable(typeof(ListGrantsRequest))]
[JsonSerializable(typeof(ListRetirableGrantsRequest))]
[JsonSerializable(typeof(ListGrantsResponse))]
[JsonSerializable(typeof(RetireGrantRequest))]
[JsonSerializable(typeof(RevokeGrantRequest))]
[JsonSerializable(typeof(GetKeyLastUsageRequest))]
[JsonSerializable(typeof(GetKeyLastUsageResponse))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(CreateKeyResponse))]
[JsonSerializable(typeof(DescribeKeyRequest))]
[JsonSerializable(typeof(DescribeKeyResponse))]
[JsonSerializable(typeof(ListKeysRequest))]
[JsonSerializable(typeof(ListKeysResponse))]
[JsonSerializable(typeof(KeyIdRequest))]
[JsonSerializable(typeof(CancelKeyDeletionResponse))]
[JsonSerializable(typeof(UpdateKeyDescriptionRequest))]
[JsonSerializable(typeof(ScheduleKeyDeletionRequest))]
[JsonSerializable(typeof(ScheduleKeyDeletionResponse))]
[JsonSerializable(typeof(EncryptRequest))]
[JsonSerializable(typeof(EncryptResponse))]
[JsonSerializable(typeof(DecryptRequest))]
[JsonSerializable(typeof(DecryptResponse))]
[JsonSerializable(typeof(ReEncryptRequest))]
[JsonSerializable(typeof(ReEncryptResponse))]
[JsonSerializable(typeof(GenerateDataKeyRequest))]
[JsonSerializable(typeof(GenerateDataKeyResponse))]
[JsonSerializable(typeof(GenerateRandomRequest))]
[JsonSerializable(typeof(GenerateRandomResponse))]
[JsonSerializable(typeof(AliasTargetRequest))]
[JsonSerializable(typeof(DeleteAliasRequest))]
[JsonSerializable(typeof(ListAliasesRequest))]
[JsonSerializable(typeof(ListAliasesResponse))]
[JsonSerializable(typeof(TagResourceRequest))]
[JsonSerializable(typeof(UntagResourceRequest))]
[JsonSerializable(typeof(ListResourceTagsRequest))]
[JsonSerializable(typeof(ListResourceTagsResponse))]
[JsonSerializable(typeof(GetKeyPolicyRequest))]
[JsonSerializable(typeof(GetKeyPolicyResponse))]
[JsonSerializable(typeof(PutKeyPolicyRequest))]
[JsonSerializable(typeof(ListKeyPoliciesRequest))]
[JsonSerializable(typeof(ListKeyPoliciesResponse))]
[JsonSerializable(typeof(EmptyResponse))]
[JsonSerializable(typeof(SignRequest))]
[JsonSerializable(typeof(SignResponse))]
[JsonSerializable(typeof(VerifyRequest))]
[JsonSerializable(typeof(VerifyResponse))]
[JsonSerializable(typeof(GetPublicKeyRequest))]
[JsonSerializable(typeof(GetPublicKeyResponse))]
[JsonSerializable(typeof(GenerateMacRequest))]
[JsonSerializable(typeof(GenerateMacResponse))]
[JsonSerializable(typeof(VerifyMacRequest))]
[JsonSerializable(typeof(VerifyMacResponse))]
[JsonSerializable(typeof(GenerateDataKeyPairRequest))]
[JsonSerializable(typeof(GenerateDataKeyPairResponse))]
[JsonSerializable(typeof(DeriveSharedSecretRequest))]
[JsonSerializable(typeof(DeriveSharedSecretResponse))]
[JsonSerializable(typeof(EnableKeyRotationRequest))]
[JsonSerializable(typeof(GetKeyRotationStatusResponse))]
[JsonSerializable(typeof(RotateKeyOnDemandResponse))]
[JsonSerializable(typeof(ListKeyRotationsRequest))]
[JsonSerializable(typeof(ListKeyRotationsResponse))]
[JsonSerializable(typeof(GetParametersForImportRequest))]
[JsonSerializable(typeof(GetParametersForImportResponse))]
[JsonSerializable(typeof(ImportKeyMaterialRequest))]
[JsonSerializable(typeof(KeyMaterialResponse))]
[JsonSerializable(typeof(DeleteImportedKeyMaterialRequest))]
public sealed partial class KmsJsonContext : JsonSerializerContext;
