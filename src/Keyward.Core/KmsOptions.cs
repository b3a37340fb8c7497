namespace Keyward.Core;

/// <summary>Deployment identity of a KMS server: the partition and region its ARNs name.</summary>
internal sealed record KmsOptions
{
    public string Region { get; init; } = "us-east-1";
    public string Partition { get; init; } = "aws";

    public string KeyArn(string accountId, string keyId) => $"arn:{Partition}:kms:{Region}:{accountId}:key/{keyId}";

    public string AliasArn(string accountId, string aliasName) => $"arn:{Partition}:kms:{Region}:{accountId}:{aliasName}";
}
