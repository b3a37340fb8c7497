namespace Keyward.Core.Storage;

/// <summary>
/// A write broke a uniqueness rule another writer got to first (an external key already used by a KMS key of
/// the same store). Nothing was written; the service answers with the operation's "in use" error.
/// </summary>
public sealed class StorageConflictException(string message, Exception? inner = null) : Exception(message, inner);
