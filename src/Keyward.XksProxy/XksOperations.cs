using Keyward.Protocol.Xks;

namespace Keyward.XksProxy;

/// <summary>
/// The four operations of the XKS Proxy API over the <see cref="ExternalKeyStore"/>, one file each
/// (XksOperations.*.cs). Input is validated here; every refusal is an <see cref="XksException"/>.
/// </summary>
internal sealed partial class XksOperations(ExternalKeyStore store, XksProxyOptions options, TimeProvider time)
{
    /// <summary>Plaintext accepted per Encrypt: the specification asks for at least 4300 bytes.</summary>
    public const int MaxPlaintext = 8192;
    /// <summary>AAD accepted per request: the specification asks for at least 8192 bytes.</summary>
    public const int MaxAad = 16384;

    private static void RequireGcm(string? algorithm)
    {
        if (algorithm is null) throw new XksException(XksErrorName.ValidationException, "encryptionAlgorithm is required.");
        if (algorithm != "AES_GCM") throw new XksException(XksErrorName.ValidationException, $"encryptionAlgorithm must be AES_GCM, not {Printable(algorithm)}.");
    }

    private static void RequireAad(byte[]? aad)
    {
        if (aad is { Length: > MaxAad }) throw new XksException(XksErrorName.UnsupportedOperationException, $"additionalAuthenticatedData is limited to {MaxAad} bytes here.");
    }

    /// <summary>A client-supplied name, cut short and stripped to printable ASCII for an error message.</summary>
    private static string Printable(string value) =>
        new(value.Take(64).Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
