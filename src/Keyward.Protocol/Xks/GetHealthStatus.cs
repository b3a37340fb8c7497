namespace Keyward.Protocol.Xks;

internal sealed class XksHealthRequest : IXksRequest
{
    public XksRequestMetadata? RequestMetadata { get; set; }
}

internal sealed record XksHealthResponse(int XksProxyFleetSize, string XksProxyVendor, string XksProxyModel, string EkmVendor,
    IReadOnlyList<XksEkmDetail> EkmFleetDetails);

/// <summary>One HSM: healthStatus is ACTIVE, DEGRADED or UNAVAILABLE.</summary>
internal sealed record XksEkmDetail(string Id, string Model, string HealthStatus);
