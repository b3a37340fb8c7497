namespace Keyward.Core.Keys;

/// <summary>AWS Origin values: where a key's material came from.</summary>
internal static class Origins
{
    public const string AwsKms = "AWS_KMS";
    /// <summary>Imported by the customer (BYOK).</summary>
    public const string External = "EXTERNAL";
    public const string AwsCloudHsm = "AWS_CLOUDHSM";
    public const string ExternalKeyStore = "EXTERNAL_KEY_STORE";
}
