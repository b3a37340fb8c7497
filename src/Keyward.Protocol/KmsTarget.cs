namespace Keyward.Protocol;

/// <summary>Parses the <c>X-Amz-Target</c> header (<c>TrentService.&lt;Operation&gt;</c>).</summary>
public static class KmsTarget
{
    public const string Prefix = "TrentService.";

    /// <summary>Exact, case-sensitive match, as AWS does; anything else is an unknown operation.</summary>
    public static bool TryParse(ReadOnlySpan<char> target, out KmsOperation operation)
    {
        operation = default;
        if (!target.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        KmsOperation? op = target[Prefix.Length..] switch
        {
            "CancelKeyDeletion" => KmsOperation.CancelKeyDeletion,
            "ConnectCustomKeyStore" => KmsOperation.ConnectCustomKeyStore,
            "CreateAlias" => KmsOperation.CreateAlias,
            "CreateCustomKeyStore" => KmsOperation.CreateCustomKeyStore,
            "CreateGrant" => KmsOperation.CreateGrant,
            "CreateKey" => KmsOperation.CreateKey,
            "Decrypt" => KmsOperation.Decrypt,
            "DeleteAlias" => KmsOperation.DeleteAlias,
            "DeleteCustomKeyStore" => KmsOperation.DeleteCustomKeyStore,
            "DeleteImportedKeyMaterial" => KmsOperation.DeleteImportedKeyMaterial,
            "DeriveSharedSecret" => KmsOperation.DeriveSharedSecret,
            "Encapsulate" => KmsOperation.Encapsulate,
            "Decapsulate" => KmsOperation.Decapsulate,
            "DescribeCustomKeyStores" => KmsOperation.DescribeCustomKeyStores,
            "DescribeKey" => KmsOperation.DescribeKey,
            "DisableKey" => KmsOperation.DisableKey,
            "DisableKeyRotation" => KmsOperation.DisableKeyRotation,
            "DisconnectCustomKeyStore" => KmsOperation.DisconnectCustomKeyStore,
            "EnableKey" => KmsOperation.EnableKey,
            "EnableKeyRotation" => KmsOperation.EnableKeyRotation,
            "Encrypt" => KmsOperation.Encrypt,
            "GenerateDataKey" => KmsOperation.GenerateDataKey,
            "GenerateDataKeyPair" => KmsOperation.GenerateDataKeyPair,
            "GenerateDataKeyPairWithoutPlaintext" => KmsOperation.GenerateDataKeyPairWithoutPlaintext,
            "GenerateDataKeyWithoutPlaintext" => KmsOperation.GenerateDataKeyWithoutPlaintext,
            "GenerateMac" => KmsOperation.GenerateMac,
            "GenerateRandom" => KmsOperation.GenerateRandom,
            "GetKeyLastUsage" => KmsOperation.GetKeyLastUsage,
            "GetKeyPolicy" => KmsOperation.GetKeyPolicy,
            "GetKeyRotationStatus" => KmsOperation.GetKeyRotationStatus,
            "GetParametersForImport" => KmsOperation.GetParametersForImport,
            "GetPublicKey" => KmsOperation.GetPublicKey,
            "ImportKeyMaterial" => KmsOperation.ImportKeyMaterial,
            "ListAliases" => KmsOperation.ListAliases,
            "ListGrants" => KmsOperation.ListGrants,
            "ListKeyPolicies" => KmsOperation.ListKeyPolicies,
            "ListKeyRotations" => KmsOperation.ListKeyRotations,
            "ListKeys" => KmsOperation.ListKeys,
            "ListResourceTags" => KmsOperation.ListResourceTags,
            "ListRetirableGrants" => KmsOperation.ListRetirableGrants,
            "PutKeyPolicy" => KmsOperation.PutKeyPolicy,
            "ReEncrypt" => KmsOperation.ReEncrypt,
            "ReplicateKey" => KmsOperation.ReplicateKey,
            "RetireGrant" => KmsOperation.RetireGrant,
            "RevokeGrant" => KmsOperation.RevokeGrant,
            "RotateKeyOnDemand" => KmsOperation.RotateKeyOnDemand,
            "ScheduleKeyDeletion" => KmsOperation.ScheduleKeyDeletion,
            "Sign" => KmsOperation.Sign,
            "TagResource" => KmsOperation.TagResource,
            "UntagResource" => KmsOperation.UntagResource,
            "UpdateAlias" => KmsOperation.UpdateAlias,
            "UpdateCustomKeyStore" => KmsOperation.UpdateCustomKeyStore,
            "UpdateKeyDescription" => KmsOperation.UpdateKeyDescription,
            "UpdatePrimaryRegion" => KmsOperation.UpdatePrimaryRegion,
            "Verify" => KmsOperation.Verify,
            "VerifyMac" => KmsOperation.VerifyMac,
            _ => null,
        };
        if (op is null) return false;
        operation = op.Value;
        return true;
    }
}
