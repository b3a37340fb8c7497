namespace Keyward.Protocol;

/// <summary>Every operation of the KMS API (2014-11-01 model). Dispatch is a switch over this enum.</summary>
public enum KmsOperation
{
    CancelKeyDeletion, ConnectCustomKeyStore, CreateAlias, CreateCustomKeyStore, CreateGrant, CreateKey,
    Decapsulate, Decrypt, DeleteAlias, DeleteCustomKeyStore, DeleteImportedKeyMaterial, DeriveSharedSecret,
    DescribeCustomKeyStores, DescribeKey, DisableKey, DisableKeyRotation, DisconnectCustomKeyStore,
    EnableKey, EnableKeyRotation, Encapsulate, Encrypt, GenerateDataKey, GenerateDataKeyPair,
    GenerateDataKeyPairWithoutPlaintext, GenerateDataKeyWithoutPlaintext, GenerateMac, GenerateRandom,
    GetKeyLastUsage, GetKeyPolicy, GetKeyRotationStatus, GetParametersForImport, GetPublicKey,
    ImportKeyMaterial, ListAliases, ListGrants, ListKeyPolicies, ListKeyRotations, ListKeys,
    ListResourceTags, ListRetirableGrants, PutKeyPolicy, ReEncrypt, ReplicateKey, RetireGrant,
    RevokeGrant, RotateKeyOnDemand, ScheduleKeyDeletion, Sign, TagResource, UntagResource, UpdateAlias,
    UpdateCustomKeyStore, UpdateKeyDescription, UpdatePrimaryRegion, Verify, VerifyMac,
}
