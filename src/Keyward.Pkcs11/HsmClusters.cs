using Keyward.Core.KeyStores;

namespace Keyward.Pkcs11;

/// <summary>The configured HSM clusters, as custom key stores of type AWS_CLOUDHSM see them.</summary>
internal sealed class HsmClusters(IReadOnlyList<HsmClusterOptions> clusters, Action<string>? log = null) : IHsmClusters
{
    public HsmClusterInfo? Find(string clusterId) =>
        clusters.FirstOrDefault(c => c.Id == clusterId) is { } c
            ? new HsmClusterInfo(c.Id, c.Hsms.Count, c.TrustAnchorCertificateFile is { } f ? File.ReadAllText(f) : null, c.History)
            : null;

    public IHsmKeyStore Connect(string clusterId, ReadOnlySpan<byte> password)
    {
        var options = clusters.FirstOrDefault(c => c.Id == clusterId)
                      ?? throw new KeyStoreConnectException("CLUSTER_NOT_FOUND", $"No HSM cluster {clusterId} is configured.");
        return new HsmKeyStore(HsmCluster.Connect(options, password, log));
    }
}
