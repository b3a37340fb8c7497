using Keyward.Core.Keys;
using Keyward.Core.KeyStores;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Xks;

namespace Keyward.Core.Service;

/// <summary>
/// The one place the service's error texts are written, in AWS's wording
/// (recorded AWS responses; see shared/reference/kms-api.md). None carries secret data.
/// </summary>
public static class Faults
{
    public static KmsException KeyNotFound(string arn) => KmsException.NotFound($"Key '{arn}' does not exist");

    public static KmsException AliasNotFound(string aliasArn) => KmsException.NotFound($"Alias {aliasArn} is not found.");

    public static KmsException InvalidKeyId(string keyId) =>
        KmsException.NotFound($"Invalid keyId '{(keyId.Length <= 256 ? keyId : keyId[..256])}'");

    public static KmsException InvalidArn(string arn) =>
        new(KmsErrorCode.InvalidArnException, $"ARN '{(arn.Length <= 256 ? arn : arn[..256])}' is not a valid KMS key ARN.");

    /// <summary>The error for using a key in a state the operation does not allow.</summary>
    public static KmsException WrongState(string arn, KeyState state) => state switch
    {
        KeyState.Disabled => new(KmsErrorCode.DisabledException, $"{arn} is disabled."),
        KeyState.PendingDeletion => new(KmsErrorCode.KMSInvalidStateException, $"{arn} is pending deletion."),
        KeyState.PendingReplicaDeletion => new(KmsErrorCode.KMSInvalidStateException, $"{arn} is pending deletion of its replica keys."),
        KeyState.PendingImport => new(KmsErrorCode.KMSInvalidStateException, $"{arn} is pending import."),
        KeyState.Unavailable => new(KmsErrorCode.KeyUnavailableException, $"{arn} is unavailable."),
        _ => new(KmsErrorCode.KMSInvalidStateException, $"{arn} is {state}."),
    };

    public static KmsException NotPendingDeletion(string arn) =>
        new(KmsErrorCode.KMSInvalidStateException, $"{arn} is not pending deletion.");

    public static KmsException WrongUsage(string arn, string usage, string operation) =>
        new(KmsErrorCode.InvalidKeyUsageException, $"{arn} key usage is {usage} which is not valid for {operation}.");

    /// <summary>An encryption, signing or MAC algorithm the key's spec does not support.</summary>
    public static KmsException IncompatibleAlgorithm(string algorithm, string keySpec) =>
        new(KmsErrorCode.InvalidKeyUsageException, $"Algorithm {algorithm} is incompatible with key spec {keySpec}.");

    /// <summary>RSAES-OAEP, ECDSA, ECDH and HMAC take no additional authenticated data.</summary>
    public static KmsException ContextOnAsymmetricKey() =>
        KmsException.Validation("EncryptionContext is not supported for asymmetric KMS keys.");

    public static KmsException InvalidSignature() => new(KmsErrorCode.KMSInvalidSignatureException);

    public static KmsException InvalidMac() => new(KmsErrorCode.KMSInvalidMacException);

    public static KmsException DigestLength(string algorithm) => KmsException.Validation($"Digest is invalid length for algorithm {algorithm}.");

    /// <summary>Keyward has no Nitro Enclaves attestation; answering such a request in plaintext would defeat its purpose.</summary>
    public static KmsException RecipientUnsupported() =>
        Unsupported("Recipient (an enclave attestation document) is not supported by this server.");

    /// <summary>Operations that need a particular Origin (import needs EXTERNAL; automatic rotation AWS_KMS).</summary>
    public static KmsException WrongOrigin(string arn, string origin) =>
        Unsupported($"{arn} origin is {origin} which is not valid for this operation.");

    public static KmsException NotRotatable(string arn, string keySpec) =>
        Unsupported($"{arn} has key spec {keySpec}. Only symmetric encryption KMS keys support key rotation.");

    /// <summary>RotateKeyOnDemand of an imported key with no material imported for rotation (AWS's wording).</summary>
    public static KmsException NoPendingMaterial(string arn) =>
        new(KmsErrorCode.KMSInvalidStateException, $"No available key material pending rotation for the key: {arn}.");

    public static KmsException RotationConflict(string arn) =>
        new(KmsErrorCode.ConflictException, $"A rotation of {arn} is in progress or an automatic rotation is scheduled to begin within the next 20 minutes.");

    public static KmsException OnDemandRotationLimit(string arn, int limit) =>
        new(KmsErrorCode.LimitExceededException, $"{arn} has reached the limit of {limit} on-demand rotations.");

    public static KmsException InvalidImportToken() =>
        new(KmsErrorCode.InvalidImportTokenException, "The import token is invalid or is associated with a different KMS key.");

    public static KmsException ExpiredImportToken() =>
        new(KmsErrorCode.ExpiredImportTokenException, "The import token is expired. Use GetParametersForImport to get a new import token and public key.");

    /// <summary>The material does not fit the key, or is not the material this operation expects (never says how it differs).</summary>
    public static KmsException IncorrectKeyMaterial(string message) => new(KmsErrorCode.IncorrectKeyMaterialException, message);

    public static KmsException IncorrectKey() =>
        new(KmsErrorCode.IncorrectKeyException, "The key ID in the request does not identify a CMK that can perform this operation.");

    public static KmsException DryRun() =>
        new(KmsErrorCode.DryRunOperationException, "The request would have succeeded, but the DryRun option is set.");

    public static KmsException StoreNotFound(string id) =>
        new(KmsErrorCode.CustomKeyStoreNotFoundException, $"Custom key store {id} does not exist.");

    public static KmsException StoreState(string message) => new(KmsErrorCode.CustomKeyStoreInvalidStateException, message);

    /// <summary>A key whose custom key store is not connected or has no HSM answering (AWS: a general failure of custom key store keys).</summary>
    public static KmsException StoreUnavailable(string arn, string storeId) =>
        new(KmsErrorCode.KMSInvalidStateException, $"{arn} is unavailable because its custom key store {storeId} is not connected or its HSMs do not respond.");

    public static KmsException Unsupported(string message) => new(KmsErrorCode.UnsupportedOperationException, message);

    public static KmsException Tag(string message) => new(KmsErrorCode.TagException, message);

    public static KmsException InvalidMarker() => new(KmsErrorCode.InvalidMarkerException, "Invalid marker.");

    public static KmsException Internal() => new(KmsErrorCode.KMSInternalException, "The request was rejected because an internal exception occurred. Please retry the request.");

    public static KmsException MalformedPolicy(string message) => new(KmsErrorCode.MalformedPolicyDocumentException, message);

    public static KmsException PolicyNotFound(string name) =>
        KmsException.NotFound($"No such policy exists: {(name.Length <= 128 ? name : name[..128])}. The only valid policy name is default.");

    /// <summary>The single mapping from key-store failures to KMS errors; the detail stays in the server log.</summary>
    public static KmsException FromKeyStore(KeyStoreException e) => e.Failure switch
    {
        KeyStoreFailure.InvalidCiphertext => KmsException.InvalidCiphertext(),
        KeyStoreFailure.NotFound => KmsException.NotFound("The key material is not available."),
        KeyStoreFailure.Unavailable => new(KmsErrorCode.KMSInvalidStateException, "The key store that holds this KMS key is not available."),
        KeyStoreFailure.Timeout => new(KmsErrorCode.DependencyTimeoutException, "The key store did not respond in time."),
        KeyStoreFailure.Unsupported => Unsupported("The key store that holds this KMS key does not support this operation."),
        KeyStoreFailure.InvalidMaterial => IncorrectKeyMaterial("The key material is invalid for the key spec of this KMS key."),
        _ => Internal(),
    };

    /// <summary>
    /// A failed call to an XKS proxy during a cryptographic operation. As in AWS, every failure of the external
    /// configuration or connection is KMSInvalidStateException, with a message that names the cause; a ciphertext the
    /// proxy cannot authenticate is InvalidCiphertextException, and a proxy's throttling is ThrottlingException.
    /// </summary>
    public static KmsException FromXksProxy(XksProxyException e, string arn, string xksKeyId) => e.Failure switch
    {
        XksProxyFailure.Refused when e.ErrorName == XksErrorName.InvalidCiphertextException => KmsException.InvalidCiphertext(),
        XksProxyFailure.Refused when e.ErrorName == XksErrorName.ThrottlingException =>
            new(KmsErrorCode.ThrottlingException, $"The external key store proxy of {arn} is throttling requests."),
        XksProxyFailure.Timeout => XksState(arn, "the external key store proxy did not respond within the timeout (250 ms, retried once)."),
        XksProxyFailure.Unreachable => XksState(arn, "the external key store proxy cannot be reached."),
        XksProxyFailure.Tls => XksState(arn, "the TLS handshake with the external key store proxy failed."),
        XksProxyFailure.InvalidResponse => XksState(arn, "the external key store proxy returned a response that does not follow the XKS Proxy API."),
        _ => e.ErrorName switch
        {
            XksErrorName.InvalidStateException => XksState(arn, $"the external key {xksKeyId} is disabled or not usable in the external key manager."),
            XksErrorName.KeyNotFoundException => XksState(arn, $"the external key store proxy did not find the external key {xksKeyId}."),
            XksErrorName.InvalidKeyUsageException => XksState(arn, $"the external key {xksKeyId} does not allow this operation."),
            XksErrorName.AuthenticationFailedException => XksState(arn, "the external key store proxy rejected the authentication credential."),
            XksErrorName.AccessDeniedException => XksState(arn, "the external key store proxy denied the request (its authorization rules)."),
            _ => XksState(arn, $"the external key store proxy rejected the request with {e.ErrorName}."),
        },
    };

    private static KmsException XksState(string arn, string cause) =>
        new(KmsErrorCode.KMSInvalidStateException, $"{arn} cannot be used because {cause}");

    /// <summary>A failed GetHealthStatus while creating or updating an external key store, as AWS reports it.</summary>
    public static KmsException FromXksProxyCheck(XksProxyException e) => e.Failure switch
    {
        XksProxyFailure.Unreachable or XksProxyFailure.Timeout =>
            new(KmsErrorCode.XksProxyUriUnreachableException, "KMS cannot communicate with the external key store proxy at the XksProxyUriEndpoint."),
        XksProxyFailure.Tls =>
            new(KmsErrorCode.XksProxyInvalidConfigurationException, "The TLS handshake with the external key store proxy failed (its certificate is not trusted or does not match the host name)."),
        XksProxyFailure.InvalidResponse =>
            new(KmsErrorCode.XksProxyInvalidResponseException, "The external key store proxy's response does not follow the XKS Proxy API."),
        _ => e.ErrorName switch
        {
            XksErrorName.AuthenticationFailedException => new(KmsErrorCode.XksProxyIncorrectAuthenticationCredentialException,
                "The external key store proxy rejected the XksProxyAuthenticationCredential."),
            XksErrorName.InvalidUriPathException => new(KmsErrorCode.XksProxyInvalidConfigurationException,
                "The external key store proxy does not serve the XksProxyUriPath."),
            _ => new(KmsErrorCode.XksProxyInvalidResponseException, $"The external key store proxy answered GetHealthStatus with {e.ErrorName}."),
        },
    };
}
