namespace Keyward.Core.Keys;

/// <summary>The kind of material behind a key spec.</summary>
public enum KeyFamily
{
    Symmetric,
    Rsa,
    Ecc,
    Hmac,
}
