using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Keyward.Core.Crypto;

/// <summary>
/// What the platform's parsers of client-supplied bytes (public and private keys, signatures, certificates, RSA and
/// key-wrap ciphertexts) throw when the bytes are not what they should be. CryptographicException is the documented
/// one; the others happen too: PlatformNotSupportedException for an EC curve OID the platform does not know,
/// ArgumentException for a key-wrap input of a length the algorithm cannot have, AsnContentException for DER that the
/// managed reader refuses. Callers turn them into the AWS error of the member; any other exception is a bug and stays
/// one (KMSInternalException).
/// </summary>
internal static class MalformedInput
{
    public static bool Is(Exception e) =>
        e is CryptographicException or PlatformNotSupportedException or ArgumentException or AsnContentException;
}
