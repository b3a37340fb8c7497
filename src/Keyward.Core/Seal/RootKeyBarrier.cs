using System.Text;
using Keyward.Protocol;

namespace Keyward.Core.Seal;

/// <summary>
/// Encrypts every secret that goes into the database under the root key (through the seal),
/// with the row's identity as AAD so a sealed value moved to another row does not open.
/// Layout: version byte 0x01 ‖ seal output (iv ‖ ciphertext ‖ tag). The database is untrusted.
/// </summary>
public sealed class RootKeyBarrier(ISeal seal)
{
    private const byte Version = 0x01;
    private static readonly byte[] CheckPlaintext = "keyward root key check"u8.ToArray();

    public ISeal Seal => seal;

    /// <param name="purpose">What the value is, e.g. "key-material".</param>
    /// <param name="identity">The row's identity, e.g. key id and material id.</param>
    public byte[] Wrap(ReadOnlySpan<byte> secret, string purpose, string identity)
    {
        var sealedData = seal.Encrypt(secret, Aad(purpose, identity));
        var output = new byte[1 + sealedData.Length];
        output[0] = Version;
        sealedData.CopyTo(output, 1);
        return output;
    }

    /// <summary>Opens a wrapped value into <paramref name="destination"/>, which the caller zeroes after use.</summary>
    public bool TryUnwrap(ReadOnlySpan<byte> wrapped, string purpose, string identity, Span<byte> destination) =>
        wrapped.Length > 1 && wrapped[0] == Version &&
        seal.TryDecrypt(wrapped[1..], Aad(purpose, identity), destination);

    public static int UnwrappedSize(ReadOnlySpan<byte> wrapped) => Math.Max(0, wrapped.Length - 1 - 28);

    /// <summary>A value stored in the database at initialization; proves later that the seal holds the same root key.</summary>
    public byte[] CreateCheckValue() => Wrap(CheckPlaintext, CheckPurpose, CheckIdentity);

    /// <summary>The settings row that holds the check value.</summary>
    public const string CheckSetting = "seal-check";
    internal const string CheckPurpose = "seal-check";
    internal const string CheckIdentity = "root";

    public bool Verify(byte[] checkValue)
    {
        var buffer = new byte[UnwrappedSize(checkValue)];
        return TryUnwrap(checkValue, CheckPurpose, CheckIdentity, buffer) &&
               ConstantTime.AreEqual(buffer, CheckPlaintext);
    }

    private static byte[] Aad(string purpose, string identity) =>
        Encoding.UTF8.GetBytes($"keyward/barrier/v1\n{purpose}\n{identity}");
}
