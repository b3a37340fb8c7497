using Amazon.KeyManagementService;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The principals of the access-control tests, as an --identities file: in account 111122223333 (whose
/// root is the bootstrap credential) the users app (no identity policy), admin (manages keys, cannot use
/// them) and auditor (reads, and looks up the audit trail; GetKeyPolicy denied) and the role ops (everything, from 10.0.0.0/8 only);
/// in account 444455556666 its root and the user bob (may Decrypt with keys of 111122223333).
/// </summary>
public static class TestIdentities
{
    public const string Account = ServerFixture.Account;
    public const string Other = "444455556666";

    /// <summary>Writes the file (mode 0600) into <paramref name="dir"/> and returns its path.</summary>
    public static string Write(string dir)
    {
        var file = Path.Combine(dir, "identities.json");
        File.WriteAllText(file, $$"""
            {
              // Account 111122223333: the bootstrap credential is its root.
              "accounts": [
                { "id": "{{Account}}",
                  "users": [
                    { "name": "app", "accessKeys": [ { "accessKeyId": "AKIAAPPUSER000000001", "secretAccessKey": "app-secret-0123456789abcdef" } ] },
                    { "name": "admin", "accessKeys": [ { "accessKeyId": "AKIAADMINUSER0000001", "secretAccessKey": "admin-secret-0123456789abcd" } ],
                      "policies": [ { "Version": "2012-10-17", "Statement": [ { "Effect": "Allow",
                        "Action": [ "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
                                    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
                                    "kms:CancelKeyDeletion" ],
                        "Resource": "*" } ] } ] },
                    { "name": "auditor", "accessKeys": [ { "accessKeyId": "AKIAAUDITOR000000001", "secretAccessKey": "auditor-secret-0123456789ab" } ],
                      "policies": [
                        { "Statement": [ { "Effect": "Allow", "Action": [ "kms:Describe*", "kms:List*", "kms:Get*" ], "Resource": "*" } ] },
                        { "Statement": { "Effect": "Deny", "Action": "kms:GetKeyPolicy", "Resource": "*" } },
                        { "Statement": { "Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*" } } ] }
                  ],
                  "roles": [
                    { "name": "ops", "accessKeys": [ { "accessKeyId": "AKIAOPSROLE000000001", "secretAccessKey": "ops-secret-0123456789abcdef" } ],
                      "policies": [ { "Statement": [
                        { "Effect": "Allow", "Action": "kms:*", "Resource": "*", "Condition": { "IpAddress": { "aws:SourceIp": "10.0.0.0/8" } } },
                        { "Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "arn:aws:kms:*:{{Account}}:key/*" } ] } ] }
                  ] },
                { "id": "{{Other}}",
                  "rootAccessKeys": [ { "accessKeyId": "AKIAOTHERROOT0000001", "secretAccessKey": "other-root-secret-0123456789" } ],
                  "users": [
                    { "name": "bob", "accessKeys": [ { "accessKeyId": "AKIABOBUSER000000001", "secretAccessKey": "bob-secret-0123456789abcdef" } ],
                      "policies": [ { "Statement": { "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:{{Account}}:key/*" } } ] }
                  ] }
              ]
            }
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return file;
    }

    public static AmazonKeyManagementServiceClient Client(ServerFixture server, string who) => who switch
    {
        "root" => server.Client(),
        "app" => server.Client("AKIAAPPUSER000000001", "app-secret-0123456789abcdef"),
        "admin" => server.Client("AKIAADMINUSER0000001", "admin-secret-0123456789abcd"),
        "auditor" => server.Client("AKIAAUDITOR000000001", "auditor-secret-0123456789ab"),
        "ops" => server.Client("AKIAOPSROLE000000001", "ops-secret-0123456789abcdef"),
        "bob" => server.Client("AKIABOBUSER000000001", "bob-secret-0123456789abcdef"),
        "other-root" => server.Client("AKIAOTHERROOT0000001", "other-root-secret-0123456789"),
        _ => throw new ArgumentOutOfRangeException(nameof(who)),
    };

    public static string Arn(string who) => who switch
    {
        "root" => $"arn:aws:iam::{Account}:root",
        "ops" => $"arn:aws:iam::{Account}:role/ops",
        "bob" => $"arn:aws:iam::{Other}:user/bob",
        "other-root" => $"arn:aws:iam::{Other}:root",
        _ => $"arn:aws:iam::{Account}:user/{who}",
    };
}
