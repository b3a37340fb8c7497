namespace Keyward.Protocol.Xks;

/// <summary>The error body of every XKS failure: {"errorName": …, "errorMessage": …}.</summary>
public sealed record XksError(string ErrorName, string? ErrorMessage);

/// <summary>The specification's error names, each with its HTTP status (spec, "Error codes").</summary>
public enum XksErrorName
{
    ValidationException,
    InvalidStateException,
    InvalidCiphertextException,
    InvalidKeyUsageException,
    AuthenticationFailedException,
    AccessDeniedException,
    KeyNotFoundException,
    InvalidUriPathException,
    ThrottlingException,
    UnsupportedOperationException,
    DependencyTimeoutException,
    InternalException,
}

public static class XksErrors
{
    public static int Status(XksErrorName name) => name switch
    {
        XksErrorName.ValidationException or XksErrorName.InvalidStateException or XksErrorName.InvalidCiphertextException
            or XksErrorName.InvalidKeyUsageException => 400,
        XksErrorName.AuthenticationFailedException => 401,
        XksErrorName.AccessDeniedException => 403,
        XksErrorName.KeyNotFoundException or XksErrorName.InvalidUriPathException => 404,
        XksErrorName.ThrottlingException => 429,
        XksErrorName.UnsupportedOperationException => 501,
        XksErrorName.DependencyTimeoutException => 503,
        _ => 500,
    };

    /// <summary>The name for an error body's errorName (null for one this table does not know).</summary>
    public static XksErrorName? Parse(string? errorName) => Enum.TryParse<XksErrorName>(errorName, out var n) && Enum.IsDefined(n) ? n : null;
}

/// <summary>A request the proxy refuses: its error name and a message safe to return (never plaintext or secrets).</summary>
public sealed class XksException(XksErrorName name, string message) : Exception(message)
{
    public XksErrorName Name { get; } = name;
}
