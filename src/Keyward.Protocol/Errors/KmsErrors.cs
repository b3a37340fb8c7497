namespace Keyward.Protocol.Errors;

/// <summary>The one table from error code to AWS <c>__type</c> name and HTTP status.</summary>
public static class KmsErrors
{
    /// <summary>The AWS error name; equal to the enum member's name by construction.</summary>
    public static string TypeName(KmsErrorCode code) => code switch
    {
        KmsErrorCode.SerializationException => "SerializationException",
        KmsErrorCode.UnknownOperationException => "UnknownOperationException",
        KmsErrorCode.ValidationException => "ValidationException",
        KmsErrorCode.RequestEntityTooLargeException => "RequestEntityTooLargeException",
        KmsErrorCode.MissingAuthenticationTokenException => "MissingAuthenticationTokenException",
        KmsErrorCode.IncompleteSignatureException => "IncompleteSignatureException",
        KmsErrorCode.InvalidSignatureException => "InvalidSignatureException",
        KmsErrorCode.UnrecognizedClientException => "UnrecognizedClientException",
        KmsErrorCode.AccessDeniedException => "AccessDeniedException",
        KmsErrorCode.ThrottlingException => "ThrottlingException",
        KmsErrorCode.AlreadyExistsException => "AlreadyExistsException",
        KmsErrorCode.DisabledException => "DisabledException",
        KmsErrorCode.DryRunOperationException => "DryRunOperationException",
        KmsErrorCode.IncorrectKeyException => "IncorrectKeyException",
        KmsErrorCode.InvalidAliasNameException => "InvalidAliasNameException",
        KmsErrorCode.InvalidArnException => "InvalidArnException",
        KmsErrorCode.InvalidCiphertextException => "InvalidCiphertextException",
        KmsErrorCode.InvalidGrantTokenException => "InvalidGrantTokenException",
        KmsErrorCode.InvalidKeyUsageException => "InvalidKeyUsageException",
        KmsErrorCode.InvalidMarkerException => "InvalidMarkerException",
        KmsErrorCode.KeyUnavailableException => "KeyUnavailableException",
        KmsErrorCode.KMSInternalException => "KMSInternalException",
        KmsErrorCode.KMSInvalidStateException => "KMSInvalidStateException",
        KmsErrorCode.LimitExceededException => "LimitExceededException",
        KmsErrorCode.MalformedPolicyDocumentException => "MalformedPolicyDocumentException",
        KmsErrorCode.NotFoundException => "NotFoundException",
        KmsErrorCode.TagException => "TagException",
        KmsErrorCode.UnsupportedOperationException => "UnsupportedOperationException",
        KmsErrorCode.DependencyTimeoutException => "DependencyTimeoutException",
        KmsErrorCode.CustomKeyStoreNotFoundException => "CustomKeyStoreNotFoundException",
        KmsErrorCode.KMSInvalidSignatureException => "KMSInvalidSignatureException",
        KmsErrorCode.KMSInvalidMacException => "KMSInvalidMacException",
        KmsErrorCode.IncorrectKeyMaterialException => "IncorrectKeyMaterialException",
        KmsErrorCode.InvalidImportTokenException => "InvalidImportTokenException",
        KmsErrorCode.ExpiredImportTokenException => "ExpiredImportTokenException",
        KmsErrorCode.ConflictException => "ConflictException",
        KmsErrorCode.CustomKeyStoreInvalidStateException => "CustomKeyStoreInvalidStateException",
        KmsErrorCode.CustomKeyStoreNameInUseException => "CustomKeyStoreNameInUseException",
        KmsErrorCode.CustomKeyStoreHasCMKsException => "CustomKeyStoreHasCMKsException",
        KmsErrorCode.CloudHsmClusterNotFoundException => "CloudHsmClusterNotFoundException",
        KmsErrorCode.CloudHsmClusterInUseException => "CloudHsmClusterInUseException",
        KmsErrorCode.CloudHsmClusterNotActiveException => "CloudHsmClusterNotActiveException",
        KmsErrorCode.CloudHsmClusterInvalidConfigurationException => "CloudHsmClusterInvalidConfigurationException",
        KmsErrorCode.CloudHsmClusterNotRelatedException => "CloudHsmClusterNotRelatedException",
        KmsErrorCode.IncorrectTrustAnchorException => "IncorrectTrustAnchorException",
        KmsErrorCode.XksProxyUriUnreachableException => "XksProxyUriUnreachableException",
        KmsErrorCode.XksProxyUriInUseException => "XksProxyUriInUseException",
        KmsErrorCode.XksProxyUriEndpointInUseException => "XksProxyUriEndpointInUseException",
        KmsErrorCode.XksProxyIncorrectAuthenticationCredentialException => "XksProxyIncorrectAuthenticationCredentialException",
        KmsErrorCode.XksProxyInvalidConfigurationException => "XksProxyInvalidConfigurationException",
        KmsErrorCode.XksProxyInvalidResponseException => "XksProxyInvalidResponseException",
        KmsErrorCode.XksProxyVpcEndpointServiceNotFoundException => "XksProxyVpcEndpointServiceNotFoundException",
        KmsErrorCode.XksKeyNotFoundException => "XksKeyNotFoundException",
        KmsErrorCode.XksKeyAlreadyInUseException => "XksKeyAlreadyInUseException",
        KmsErrorCode.XksKeyInvalidConfigurationException => "XksKeyInvalidConfigurationException",
        KmsErrorCode.InvalidLookupAttributesException => "InvalidLookupAttributesException",
        KmsErrorCode.InvalidTimeRangeException => "InvalidTimeRangeException",
        KmsErrorCode.InvalidMaxResultsException => "InvalidMaxResultsException",
        KmsErrorCode.InvalidNextTokenException => "InvalidNextTokenException",
        KmsErrorCode.InvalidEventCategoryException => "InvalidEventCategoryException",
        _ => throw new ArgumentOutOfRangeException(nameof(code)),
    };

    /// <summary>
    /// HTTP status. Modeled KMS client errors are 400 (botocore's model; recorded AWS responses).
    /// The three server faults follow the model's httpStatusCode; DryRun is 412 there too.
    /// </summary>
    public static int HttpStatus(KmsErrorCode code) => code switch
    {
        KmsErrorCode.KMSInternalException => 500,
        KmsErrorCode.KeyUnavailableException => 500,
        KmsErrorCode.DependencyTimeoutException => 503,
        KmsErrorCode.DryRunOperationException => 412,
        KmsErrorCode.RequestEntityTooLargeException => 413,
        _ => 400,
    };
}
