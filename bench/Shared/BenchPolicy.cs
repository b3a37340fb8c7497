namespace Keyward.Bench;

/// <summary>
/// The "realistic policy of a few statements and conditions" both access-control benchmarks use (`bench/run policy`
/// and `bench/micro`): the default statement, the app user allowed with an encryption context and a source address
/// condition, and an explicit Deny with NotPrincipal.
/// </summary>
internal static class BenchPolicy
{
    public const string Json = """
        { "Version": "2012-10-17", "Statement": [
          { "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::111122223333:root" }, "Action": "kms:*", "Resource": "*" },
          { "Sid": "App encrypts for billing", "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::111122223333:user/app" },
            "Action": [ "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*" ], "Resource": "*",
            "Condition": { "StringEquals": { "kms:EncryptionContext:app": "billing" }, "IpAddress": { "aws:SourceIp": "127.0.0.0/8" } } },
          { "Sid": "No deletion but by root", "Effect": "Deny", "NotPrincipal": { "AWS": "arn:aws:iam::111122223333:root" },
            "Action": [ "kms:ScheduleKeyDeletion", "kms:Disable*" ], "Resource": "*" } ] }
        """;
}
