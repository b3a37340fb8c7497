using Keyward.Core.KeyStores;

namespace Keyward.Pkcs11;

/// <summary>The configured HSM clusters, as custom key stores of type AWS_CLOUDHSM see them.</summary>
public sealed class HsmClusters : IHsmClusters
{
    private readonly Dictionary<string, HsmClusterOptions> _clusters;
    private readonly Dictionary<string, Lazy<HsmClusterInfo>> _infos;
    private readonly Action<string>? _log;

    public HsmClusters(IReadOnlyList<HsmClusterOptions> clusters, Action<string>? log = null)
    {
        clusters = clusters.DistinctBy(c => c.Id).ToList();
        _clusters = clusters.ToDictionary(c => c.Id, StringComparer.Ordinal);
        // The trust anchor file is read once, when a cluster is first asked about (store checks look at every cluster).
        _infos = clusters.ToDictionary(c => c.Id, c => new Lazy<HsmClusterInfo>(() =>
            new HsmClusterInfo(c.Id, c.Hsms.Count, c.TrustAnchorCertificateFile is { } f ? File.ReadAllText(f) : null, c.History)), StringComparer.Ordinal);
        _log = log;
    }

    public HsmClusterInfo? Find(string clusterId) => _infos.TryGetValue(clusterId, out var info) ? info.Value : null;

    public IHsmKeyStore Connect(string clusterId, ReadOnlySpan<byte> password)
    {
        var options = _clusters.GetValueOrDefault(clusterId)
                      ?? throw new KeyStoreConnectException("CLUSTER_NOT_FOUND", $"No HSM cluster {clusterId} is configured.");
        return new HsmKeyStore(HsmCluster.Connect(options, password, _log));
    }
}
