namespace Keyward.Core.Storage;

/// <summary>What kind of row a <see cref="StorageChange"/> names.</summary>
public enum StorageChangeKind
{
    /// <summary>A key row changed (Id the key id, Version its new version) or was deleted (Version long.MaxValue).</summary>
    Key,
    /// <summary>An alias was created, retargeted or deleted (Id "account/alias-name").</summary>
    Alias,
    /// <summary>A custom key store changed or was deleted (Id the store id).</summary>
    CustomKeyStore,
    /// <summary>A grant of the key Id was created, retired or revoked.</summary>
    Grants,
}

/// <summary>A committed change another node may have cached the old state of.</summary>
public readonly record struct StorageChange(StorageChangeKind Kind, string Id, long Version);

/// <summary>
/// Storage shared by several nodes tells each node of every committed change (PostgreSQL: LISTEN/NOTIFY
/// raised by triggers in the writing transaction, so a notice is sent exactly when its change commits).
/// Notices can be lost while the listening connection is down: <see cref="Reset"/> then tells the node to
/// forget everything it caches. Caches keep their maximum age as the bound when no notice arrives at all.
/// </summary>
public interface IStorageChangeFeed
{
    event Action<StorageChange>? Changed;

    /// <summary>The feed (re)connected: notices may have been missed.</summary>
    event Action? Reset;
}
