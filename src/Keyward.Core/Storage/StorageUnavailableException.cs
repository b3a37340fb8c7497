namespace Keyward.Core.Storage;

/// <summary>
/// The database could not be reached or did not answer in time (a restart, a failover, a network
/// fault). Nothing was acknowledged; the caller may retry. The service answers it with AWS's
/// retryable DependencyTimeoutException, never KMSInternalException. The message names no secret.
/// </summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
