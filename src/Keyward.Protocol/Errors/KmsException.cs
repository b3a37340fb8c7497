namespace Keyward.Protocol.Errors;

/// <summary>
/// The one exception a request ends with when it fails in a way the client may learn about.
/// The message goes to the client verbatim, so it must never carry plaintext, key material
/// or secrets.
/// </summary>
public sealed class KmsException(KmsErrorCode code, string? message = null) : Exception(message ?? string.Empty)
{
    public KmsErrorCode Code { get; } = code;

    public static KmsException Validation(string message) => new(KmsErrorCode.ValidationException, message);

    /// <summary>Every decryption failure looks the same to the client: no message, no detail.</summary>
    public static KmsException InvalidCiphertext() => new(KmsErrorCode.InvalidCiphertextException);

    public static KmsException NotFound(string message) => new(KmsErrorCode.NotFoundException, message);
}
