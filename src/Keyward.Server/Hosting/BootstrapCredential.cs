using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keyward.Core.Identity;
using Keyward.Core.Seal;

namespace Keyward.Server.Hosting;

/// <summary>
/// The first credential of a server: from options, else from KEYWARD_ACCESS_KEY_ID and
/// KEYWARD_SECRET_ACCESS_KEY, else generated on first start and kept in the data directory
/// (mode 0600). A generated credential is printed once, with an `aws configure` hint.
/// It maps to the account's root principal.
/// </summary>
internal static class BootstrapCredential
{
    public const string FileName = "bootstrap-credential.json";

    public static Credential Load(KmsServerOptions options)
    {
        var principal = new Principal(options.AccountId, $"arn:aws:iam::{options.AccountId}:root");
        if (options.AccessKeyId is { Length: > 0 } id && options.SecretAccessKey is { Length: > 0 } secret)
            return new Credential(id, secret, principal);
        if (Environment.GetEnvironmentVariable("KEYWARD_ACCESS_KEY_ID") is { Length: > 0 } envId &&
            Environment.GetEnvironmentVariable("KEYWARD_SECRET_ACCESS_KEY") is { Length: > 0 } envSecret)
            return new Credential(envId, envSecret, principal);

        var path = Path.Combine(options.DataDir, FileName);
        if (File.Exists(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                return new Credential(doc.RootElement.GetProperty("AccessKeyId").GetString()!,
                    doc.RootElement.GetProperty("SecretAccessKey").GetString()!, principal);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // Parser messages can quote the file's content, which is a secret: name the file only.
                throw new ServerConfigurationException($"The bootstrap credential file '{path}' is damaged; remove it to generate a new one.");
            }
        }

        var generated = new Credential("AKIA" + RandomText("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
            RandomText("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40), principal);
        PrivateFile.WriteNew(path, Encoding.UTF8.GetBytes(
            $"{{\"AccessKeyId\":\"{generated.AccessKeyId}\",\"SecretAccessKey\":\"{generated.SecretAccessKey}\"}}\n"));

        // Deliberately printed (not logged) once, so the operator can configure a client.
        var console = options.Output;
        console.WriteLine($"""
            Keyward generated a bootstrap credential for account {options.AccountId} (kept in {path}, mode 0600).
            Configure an aws CLI profile of its own with it (your default profile is left alone):

                aws configure set aws_access_key_id {generated.AccessKeyId} --profile keyward
                aws configure set aws_secret_access_key {generated.SecretAccessKey} --profile keyward
                aws configure set region {options.Region} --profile keyward

            and call it with --profile keyward --endpoint-url {Url(options)} (aws CLI 2.13+ and current AWS SDKs also
            take the endpoint from AWS_ENDPOINT_URL_KMS={Url(options)}).

            It is shown only this once; set KEYWARD_ACCESS_KEY_ID and KEYWARD_SECRET_ACCESS_KEY to choose your own.
            """);
        return generated;
    }

    private static string RandomText(string alphabet, int length) =>
        string.Create(length, alphabet, (span, chars) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = chars[RandomNumberGenerator.GetInt32(chars.Length)];
        });

    /// <summary>The listen address as a client reaches it (a wildcard host is shown as 127.0.0.1).</summary>
    private static string Url(KmsServerOptions options) =>
        options.Listen.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://*", "://127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
}
