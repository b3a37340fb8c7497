using Keyward.Core.KeyStores;
using Keyward.Pkcs11.Interop;

namespace Keyward.Pkcs11;

/// <summary>What a PKCS#11 return value says about the session and the device it came from.</summary>
public enum Pkcs11ErrorKind
{
    /// <summary>The input was wrong (a bad ciphertext, a wrong length); the session is fine.</summary>
    Data,
    /// <summary>An object handle is stale (the object is gone, or the module was re-initialized).</summary>
    Object,
    /// <summary>The session is unusable; drop it.</summary>
    Session,
    /// <summary>The device or the module failed; drop every session and re-initialize once the device answers again.</summary>
    Device,
    /// <summary>The PIN was refused.</summary>
    Login,
    /// <summary>The module cannot do what was asked (a mechanism, an attribute, a template): a configuration problem.</summary>
    Unsupported,
}

/// <summary>
/// The one table from CKR_* values to their names, what they mean for the session pool, and the
/// key-store failure the service maps to a KMS error. Anything not listed is Unsupported/Internal.
/// </summary>
public static class Pkcs11Errors
{
    private static readonly Dictionary<nuint, (string Name, Pkcs11ErrorKind Kind, KeyStoreFailure Failure)> Table = new()
    {
        [CKR.DATA_INVALID] = ("CKR_DATA_INVALID", Pkcs11ErrorKind.Data, KeyStoreFailure.InvalidCiphertext),
        [CKR.DATA_LEN_RANGE] = ("CKR_DATA_LEN_RANGE", Pkcs11ErrorKind.Data, KeyStoreFailure.InvalidCiphertext),
        [CKR.ENCRYPTED_DATA_INVALID] = ("CKR_ENCRYPTED_DATA_INVALID", Pkcs11ErrorKind.Data, KeyStoreFailure.InvalidCiphertext),
        [CKR.ENCRYPTED_DATA_LEN_RANGE] = ("CKR_ENCRYPTED_DATA_LEN_RANGE", Pkcs11ErrorKind.Data, KeyStoreFailure.InvalidCiphertext),
        [CKR.AEAD_DECRYPT_FAILED] = ("CKR_AEAD_DECRYPT_FAILED", Pkcs11ErrorKind.Data, KeyStoreFailure.InvalidCiphertext),
        [CKR.WRAPPED_KEY_INVALID] = ("CKR_WRAPPED_KEY_INVALID", Pkcs11ErrorKind.Data, KeyStoreFailure.InvalidCiphertext),
        [CKR.WRAPPED_KEY_LEN_RANGE] = ("CKR_WRAPPED_KEY_LEN_RANGE", Pkcs11ErrorKind.Data, KeyStoreFailure.InvalidCiphertext),
        [CKR.BUFFER_TOO_SMALL] = ("CKR_BUFFER_TOO_SMALL", Pkcs11ErrorKind.Data, KeyStoreFailure.Internal),

        [CKR.KEY_HANDLE_INVALID] = ("CKR_KEY_HANDLE_INVALID", Pkcs11ErrorKind.Object, KeyStoreFailure.NotFound),
        [CKR.OBJECT_HANDLE_INVALID] = ("CKR_OBJECT_HANDLE_INVALID", Pkcs11ErrorKind.Object, KeyStoreFailure.NotFound),
        [CKR.WRAPPING_KEY_HANDLE_INVALID] = ("CKR_WRAPPING_KEY_HANDLE_INVALID", Pkcs11ErrorKind.Object, KeyStoreFailure.NotFound),
        [CKR.UNWRAPPING_KEY_HANDLE_INVALID] = ("CKR_UNWRAPPING_KEY_HANDLE_INVALID", Pkcs11ErrorKind.Object, KeyStoreFailure.NotFound),

        [CKR.SESSION_CLOSED] = ("CKR_SESSION_CLOSED", Pkcs11ErrorKind.Session, KeyStoreFailure.Unavailable),
        [CKR.SESSION_HANDLE_INVALID] = ("CKR_SESSION_HANDLE_INVALID", Pkcs11ErrorKind.Session, KeyStoreFailure.Unavailable),
        [CKR.SESSION_COUNT] = ("CKR_SESSION_COUNT", Pkcs11ErrorKind.Session, KeyStoreFailure.Unavailable),
        [CKR.OPERATION_ACTIVE] = ("CKR_OPERATION_ACTIVE", Pkcs11ErrorKind.Session, KeyStoreFailure.Unavailable),
        [CKR.OPERATION_NOT_INITIALIZED] = ("CKR_OPERATION_NOT_INITIALIZED", Pkcs11ErrorKind.Session, KeyStoreFailure.Unavailable),
        [CKR.USER_NOT_LOGGED_IN] = ("CKR_USER_NOT_LOGGED_IN", Pkcs11ErrorKind.Session, KeyStoreFailure.Unavailable),

        [CKR.GENERAL_ERROR] = ("CKR_GENERAL_ERROR", Pkcs11ErrorKind.Device, KeyStoreFailure.Unavailable),
        [CKR.FUNCTION_FAILED] = ("CKR_FUNCTION_FAILED", Pkcs11ErrorKind.Device, KeyStoreFailure.Unavailable),
        [CKR.HOST_MEMORY] = ("CKR_HOST_MEMORY", Pkcs11ErrorKind.Device, KeyStoreFailure.Unavailable),
        [CKR.DEVICE_ERROR] = ("CKR_DEVICE_ERROR", Pkcs11ErrorKind.Device, KeyStoreFailure.Unavailable),
        [CKR.DEVICE_MEMORY] = ("CKR_DEVICE_MEMORY", Pkcs11ErrorKind.Device, KeyStoreFailure.Unavailable),
        [CKR.DEVICE_REMOVED] = ("CKR_DEVICE_REMOVED", Pkcs11ErrorKind.Device, KeyStoreFailure.Unavailable),
        [CKR.TOKEN_NOT_PRESENT] = ("CKR_TOKEN_NOT_PRESENT", Pkcs11ErrorKind.Device, KeyStoreFailure.Unavailable),
        [CKR.TOKEN_NOT_RECOGNIZED] = ("CKR_TOKEN_NOT_RECOGNIZED", Pkcs11ErrorKind.Device, KeyStoreFailure.Unavailable),
        [CKR.SLOT_ID_INVALID] = ("CKR_SLOT_ID_INVALID", Pkcs11ErrorKind.Device, KeyStoreFailure.Unavailable),
        [CKR.CRYPTOKI_NOT_INITIALIZED] = ("CKR_CRYPTOKI_NOT_INITIALIZED", Pkcs11ErrorKind.Device, KeyStoreFailure.Unavailable),

        [CKR.PIN_INCORRECT] = ("CKR_PIN_INCORRECT", Pkcs11ErrorKind.Login, KeyStoreFailure.Unavailable),
        [CKR.PIN_INVALID] = ("CKR_PIN_INVALID", Pkcs11ErrorKind.Login, KeyStoreFailure.Unavailable),
        [CKR.PIN_LEN_RANGE] = ("CKR_PIN_LEN_RANGE", Pkcs11ErrorKind.Login, KeyStoreFailure.Unavailable),
        [CKR.PIN_EXPIRED] = ("CKR_PIN_EXPIRED", Pkcs11ErrorKind.Login, KeyStoreFailure.Unavailable),
        [CKR.PIN_LOCKED] = ("CKR_PIN_LOCKED", Pkcs11ErrorKind.Login, KeyStoreFailure.Unavailable),
        [CKR.USER_PIN_NOT_INITIALIZED] = ("CKR_USER_PIN_NOT_INITIALIZED", Pkcs11ErrorKind.Login, KeyStoreFailure.Unavailable),
    };

    public static string Name(nuint rv) => Table.TryGetValue(rv, out var e) ? e.Name : $"CKR 0x{(ulong)rv:X}";

    public static Pkcs11ErrorKind Kind(nuint rv) => Table.TryGetValue(rv, out var e) ? e.Kind : Pkcs11ErrorKind.Unsupported;

    public static KeyStoreFailure Failure(nuint rv) => Table.TryGetValue(rv, out var e) ? e.Failure : KeyStoreFailure.Internal;

    /// <summary>What an operation on an HSM throws when the HSM, its module or its configuration fails (as opposed to a bug).</summary>
    public static bool IsHsmFailure(Exception e) => e is Pkcs11Exception or Pkcs11ConfigurationException or KeyStoreException;
}

/// <summary>
/// A PKCS#11 call failed. The message names the function and the return value, never data or PINs.
/// <see cref="Kind"/> comes from the table unless the session pool learned better: a "device"
/// error on an HSM that answers a fresh probe was about the input (SoftHSM reports a GCM tag
/// mismatch as CKR_GENERAL_ERROR), and is re-thrown as a data error.
/// </summary>
public sealed class Pkcs11Exception(string function, nuint rv, Pkcs11ErrorKind? kind = null)
    : Exception($"{function} failed: {Pkcs11Errors.Name(rv)}")
{
    public string Function { get; } = function;
    public nuint ReturnValue { get; } = rv;
    public Pkcs11ErrorKind Kind { get; } = kind ?? Pkcs11Errors.Kind(rv);

    public KeyStoreException ToKeyStoreException() =>
        new(Kind == Pkcs11ErrorKind.Data ? KeyStoreFailure.InvalidCiphertext : Pkcs11Errors.Failure(ReturnValue), Message, this);
}
