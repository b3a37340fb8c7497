namespace Keyward.Core.KeyStores;

/// <summary>A typed key-store failure. The message is for the server log only and never holds secrets.</summary>
public sealed class KeyStoreException(KeyStoreFailure failure, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public KeyStoreFailure Failure { get; } = failure;
}
