namespace Keyward.Protocol.Errors;

/// <summary>Every error Keyward answers with. <see cref="KmsErrors"/> maps each to its AWS name and status.</summary>
internal enum KmsErrorCode
{
    // Protocol and authentication (AWS common errors, JSON protocol spelling).
    SerializationException,
    UnknownOperationException,
    ValidationException,
    RequestEntityTooLargeException,
    MissingAuthenticationTokenException,
    IncompleteSignatureException,
    InvalidSignatureException,
    UnrecognizedClientException,
    AccessDeniedException,
    ThrottlingException,

    // Modeled KMS errors.
    AlreadyExistsException,
    DisabledException,
    DryRunOperationException,
    IncorrectKeyException,
    InvalidAliasNameException,
    InvalidArnException,
    InvalidCiphertextException,
    InvalidGrantTokenException,
    InvalidKeyUsageException,
    InvalidMarkerException,
    KeyUnavailableException,
    KMSInternalException,
    KMSInvalidStateException,
    LimitExceededException,
    MalformedPolicyDocumentException,
    NotFoundException,
    TagException,
    UnsupportedOperationException,
    DependencyTimeoutException,
    CustomKeyStoreNotFoundException,
    KMSInvalidSignatureException,
    KMSInvalidMacException,
    IncorrectKeyMaterialException,
    InvalidImportTokenException,
    ExpiredImportTokenException,
    ConflictException,
}
