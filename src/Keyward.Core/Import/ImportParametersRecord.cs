namespace Keyward.Core.Import;

/// <summary>
/// A wrapping key pair handed out by GetParametersForImport, as stored: the RSA private key only
/// wrapped by the barrier (purpose "import-wrapping-key", identity "keyId/tokenId"), valid until
/// <see cref="ValidTo"/> (24 hours) and bound to one KMS key and one wrapping algorithm.
/// </summary>
public sealed record ImportParametersRecord(
    string TokenId,
    string KeyId,
    string WrappingKeySpec,
    string WrappingAlgorithm,
    byte[] WrappedPrivateKey,
    DateTimeOffset ValidTo);
