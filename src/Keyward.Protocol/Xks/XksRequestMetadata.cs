namespace Keyward.Protocol.Xks;

/// <summary>
/// The requestMetadata member of every XKS request (spec §"requestMetadata"). Unknown members are ignored, and
/// any kmsOperation is accepted: KMS may add both.
/// </summary>
public sealed class XksRequestMetadata
{
    public string? AwsPrincipalArn { get; set; }
    public string? KmsOperation { get; set; }
    public string? KmsRequestId { get; set; }
    public string? KmsKeyArn { get; set; }
    public string? KmsViaService { get; set; }
    public string? AwsSourceVpc { get; set; }
    public string? AwsSourceVpce { get; set; }
}

/// <summary>Every XKS request carries requestMetadata.</summary>
public interface IXksRequest
{
    XksRequestMetadata? RequestMetadata { get; }
}
