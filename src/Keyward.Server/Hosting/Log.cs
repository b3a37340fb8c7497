using Microsoft.Extensions.Logging;

namespace Keyward.Server.Hosting;

/// <summary>Every log line of the KMS host, with stable event ids. None may carry plaintext, material or secrets.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Keyward KMS listening on {Url} (account {AccountId}, region {Region}, {Storage}, {Seal})")]
    public static partial void Started(ILogger logger, string url, string accountId, string region, string storage, string seal);

    [LoggerMessage(2, LogLevel.Error, "Request {RequestId} ({Operation}) failed with an internal error")]
    public static partial void InternalError(ILogger logger, Exception exception, string requestId, string operation);

    [LoggerMessage(3, LogLevel.Warning, "Request {RequestId} ({Operation}): key store failure {Failure}: {Detail}")]
    public static partial void KeyStoreFailed(ILogger logger, string requestId, string operation, string failure, string detail);

    [LoggerMessage(4, LogLevel.Information, "Deleted {Count} KMS key(s) whose waiting period ended")]
    public static partial void KeysDeleted(ILogger logger, int count);

    [LoggerMessage(5, LogLevel.Error, "The key lifecycle job failed; it will run again")]
    public static partial void LifecycleJobFailed(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Debug, "Request {RequestId} rejected: {ErrorType}")]
    public static partial void Rejected(ILogger logger, string requestId, string errorType);

    [LoggerMessage(7, LogLevel.Information, "Rotated the key material of {Count} KMS key(s)")]
    public static partial void KeysRotated(ILogger logger, int count);

    [LoggerMessage(8, LogLevel.Information, "Deleted {Count} imported key material version(s) whose ValidTo passed")]
    public static partial void MaterialsExpired(ILogger logger, int count);

    [LoggerMessage(9, LogLevel.Warning, "Request {RequestId} ({Operation}): the database is unavailable: {Detail}")]
    public static partial void StorageUnavailable(ILogger logger, string requestId, string operation, string detail);

    [LoggerMessage(10, LogLevel.Debug, "The lifecycle job is running on another node; this pass is skipped")]
    public static partial void LifecycleLeaseHeld(ILogger logger);

    [LoggerMessage(11, LogLevel.Warning, "Syncing custom key store connections with the database failed; it will run again: {Detail}")]
    public static partial void StoreSyncFailed(ILogger logger, string detail);

    [LoggerMessage(12, LogLevel.Information, "Custom key store connections synced with the database: {Count} opened or closed")]
    public static partial void StoresSynced(ILogger logger, int count);

    [LoggerMessage(13, LogLevel.Error, "Request {RequestId} ({Operation}): the audit record could not be written; the request is refused")]
    public static partial void AuditFailed(ILogger logger, Exception exception, string requestId, string operation);

    [LoggerMessage(14, LogLevel.Warning, "Moving audit journal entries into the database failed ({Kind}); they stay in the journal and are retried: {Detail}")]
    public static partial void AuditIndexFailed(ILogger logger, string kind, string detail);

    // Event 16, the access line of each request, is written by Operations/AccessLog.cs in this category's shape.

    [LoggerMessage(15, LogLevel.Error,
        "The audit journal {Journal} holds a line at offset {Offset} that is not an audit entry (edited, damaged, or written by another process); "
        + "it was kept in {Aside} and indexing goes on after it")]
    public static partial void AuditEntryRejected(ILogger logger, string journal, long offset, string aside);

    [LoggerMessage(17, LogLevel.Information, "Health and metrics (/healthz, /readyz, /metrics) on {Url}, not on the KMS address")]
    public static partial void AdminListening(ILogger logger, string url);
}
