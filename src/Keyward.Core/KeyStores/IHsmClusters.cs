using Keyward.Core.Crypto;
using Keyward.Core.Keys;

namespace Keyward.Core.KeyStores;

/// <summary>
/// The HSM clusters named in configuration, which CloudHSM-type custom key stores connect to.
/// Implemented over PKCS#11 (Keyward.Pkcs11); <see cref="None"/> when nothing is configured.
/// </summary>
public interface IHsmClusters
{
    HsmClusterInfo? Find(string clusterId);

    /// <summary>Logs in to the cluster's HSMs. Throws <see cref="KeyStoreConnectException"/>.</summary>
    IHsmKeyStore Connect(string clusterId, ReadOnlySpan<byte> password);

    public static IHsmClusters None { get; } = new NoClusters();

    private sealed class NoClusters : IHsmClusters
    {
        public HsmClusterInfo? Find(string clusterId) => null;
        public IHsmKeyStore Connect(string clusterId, ReadOnlySpan<byte> password) =>
            throw new KeyStoreConnectException("CLUSTER_NOT_FOUND", $"No HSM cluster {clusterId} is configured.");
    }
}

/// <param name="TrustAnchorCertificate">PEM the store's TrustAnchorCertificate must match; null accepts any.</param>
/// <param name="BackupHistory">Clusters with equal histories hold the same keys.</param>
public sealed record HsmClusterInfo(string Id, int HsmCount, string? TrustAnchorCertificate, string BackupHistory);

/// <summary>A connected HSM cluster: a key store whose material never leaves the HSMs.</summary>
public interface IHsmKeyStore : IKeyStore, IDisposable
{
    /// <summary>False while no HSM of the cluster answers (requests get KMSInvalidStateException).</summary>
    bool Available { get; }

    /// <summary><see cref="IKeyStore.CreateMaterial"/> for a request: it waits for the HSMs without a thread.</summary>
    ValueTask<MaterialRecord> CreateMaterialAsync(string keyId, KeySpecInfo spec, DateTimeOffset now);

    /// <summary><paramref name="count"/> bytes from the HSM's random number generator.</summary>
    ValueTask<byte[]> GenerateRandomAsync(int count, CancellationToken cancellationToken);
}

/// <summary>Connecting a custom key store failed; <see cref="ErrorCode"/> is AWS's ConnectionErrorCode.</summary>
public sealed class KeyStoreConnectException(string errorCode, string message) : Exception(message)
{
    public string ErrorCode { get; } = errorCode;
}
