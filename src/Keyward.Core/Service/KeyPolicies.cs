namespace Keyward.Core.Service;

/// <summary>
/// Key policy documents are stored verbatim as given (GetKeyPolicy returns them byte for byte),
/// parsed and checked by <see cref="Policies.PolicyDocument"/>, and enforced by the authorization step.
/// </summary>
internal static class KeyPolicies
{
    /// <summary>AWS's default key policy: the account (and through it, IAM policies) may do everything.</summary>
    public static string Default(string partition, string accountId) =>
        "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n" +
        "    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n" +
        $"    \"Principal\" : {{\n      \"AWS\" : \"arn:{partition}:iam::{accountId}:root\"\n    }},\n" +
        "    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}";
}
