namespace Keyward.Core;

/// <summary>Deployment identity of a KMS server: the partition and region its ARNs name.</summary>
public sealed record KmsOptions
{
    public string Region { get; init; } = "us-east-1";
    public string Partition { get; init; } = "aws";

    /// <summary>AWS's default quota of custom key stores per account and region.</summary>
    public const int DefaultCustomKeyStoresPerAccount = 10;

    /// <summary>How many custom key stores one account may have.</summary>
    public int CustomKeyStoresPerAccount { get; init; } = DefaultCustomKeyStoresPerAccount;

    // "arn:<partition>:kms:<region>:" for the last partition and region asked for (static: a record's fields take part
    // in its equality and its `with` copies).
    private sealed record ArnPrefixCache(string Partition, string Region, string Prefix);
    private static ArnPrefixCache? s_arnPrefix;

    /// <summary>Key ARNs are built on every request: one concatenation, not a format.</summary>
    private string ArnPrefix
    {
        get
        {
            var cached = s_arnPrefix;
            if (cached is not null && cached.Partition == Partition && cached.Region == Region) return cached.Prefix;
            cached = new ArnPrefixCache(Partition, Region, $"arn:{Partition}:kms:{Region}:");
            s_arnPrefix = cached;
            return cached.Prefix;
        }
    }

    public string KeyArn(string accountId, string keyId) => string.Concat(ArnPrefix, accountId, ":key/", keyId);

    public string AliasArn(string accountId, string aliasName) => $"arn:{Partition}:kms:{Region}:{accountId}:{aliasName}";
}
