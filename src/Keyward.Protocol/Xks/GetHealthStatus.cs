namespace Keyward.Protocol.Xks;

public sealed class XksHealthRequest : IXksRequest
{
    public XksRequestMetadata? RequestMetadata { get; set; }
}

public sealed record XksHealthResponse(int XksProxyFleetSize, string XksProxyVendor, string XksProxyModel, string EkmVendor,
    IReadOnlyList<XksEkmDetail> EkmFleetDetails);

/// <summary>One HSM: healthStatus is ACTIVE, DEGRADED or UNAVAILABLE.</summary>
public sealed record XksEkmDetail(string Id, string Model, string HealthStatus);
