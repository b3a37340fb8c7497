namespace Keyward.Core;

/// <summary>
/// Deployment identity of a KMS server: the partition, and the Regions it serves. <see cref="Region"/> is the home
/// Region: always served, the Region of requests that name none (work the server does itself), and the Region that rows
/// written before Keyward knew Regions belong to.
/// </summary>
public sealed record KmsOptions
{
    public string Region { get; init; } = "us-east-1";
    public string Partition { get; init; } = "aws";

    /// <summary>Every Region served, the home Region first.</summary>
    public IReadOnlyList<string> Regions
    {
        get => _regions ?? [Region];
        init => _regions = value;
    }
    private readonly IReadOnlyList<string>? _regions;

    public bool Serves(string region) => region == Region || Regions.Contains(region);

    /// <summary>AWS's default quota of custom key stores per account and region.</summary>
    public const int DefaultCustomKeyStoresPerAccount = 10;

    /// <summary>How many custom key stores one account may have.</summary>
    public int CustomKeyStoresPerAccount { get; init; } = DefaultCustomKeyStoresPerAccount;

    /// <summary>Key ARNs are built on every request: one concatenation, not a format.</summary>
    public string KeyArn(string region, string accountId, string keyId) =>
        string.Concat(["arn:", Partition, ":kms:", region, ":", accountId, ":key/", keyId]);

    public string AliasArn(string region, string accountId, string aliasName) => $"arn:{Partition}:kms:{region}:{accountId}:{aliasName}";
}
