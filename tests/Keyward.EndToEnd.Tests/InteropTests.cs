using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Unmodified third-party clients against a real server: Debian's aws CLI, boto3, curl
/// --aws-sigv4 and the AWS Encryption SDK for JavaScript. scripts/test installs them; a
/// missing client fails the test rather than skipping it.
/// </summary>
/// <remarks>A server of its own (not the shared collection's), so this slow class runs beside the others.</remarks>
public sealed class InteropTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("keyward-interop").FullName;

    private static string AwsCli => Environment.GetEnvironmentVariable("KEYWARD_AWS_CLI") is { Length: > 0 } p ? p : "/usr/bin/aws";
    private static string Python => Environment.GetEnvironmentVariable("KEYWARD_PYTHON") is { Length: > 0 } p ? p : "python3";

    [Fact]
    public async Task The_aws_cli_walkthrough_of_the_readme_works()
    {
        Assert.True(File.Exists(AwsCli), $"{AwsCli} is missing: run scripts/test, which installs Debian's awscli");
        var endpoint = server.Url.ToString().TrimEnd('/');
        await File.WriteAllTextAsync(Path.Combine(_work, "secret.txt"), "the launch codes");

        var keyId = (await Aws("kms", "create-key", "--description", "cli", "--query", "KeyMetadata.KeyId", "--output", "text")).Trim();
        Assert.Matches("^[0-9a-f-]{36}$", keyId);
        var alias = "alias/app-" + keyId[..8];
        await Aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", keyId);
        var blob = (await Aws("kms", "encrypt", "--key-id", alias, "--plaintext", "fileb://secret.txt",
            "--encryption-context", "app=cli", "--query", "CiphertextBlob", "--output", "text")).Trim();
        await File.WriteAllBytesAsync(Path.Combine(_work, "ct.bin"), Convert.FromBase64String(blob));
        var plaintext = (await Aws("kms", "decrypt", "--ciphertext-blob", "fileb://ct.bin", "--encryption-context", "app=cli",
            "--query", "Plaintext", "--output", "text")).Trim();
        Assert.Equal("the launch codes", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(plaintext)));

        var described = await Aws("kms", "describe-key", "--key-id", alias);
        Assert.Contains($"\"KeyId\": \"{keyId}\"", described);
        var listed = await Aws("kms", "list-keys", "--page-size", "1");
        Assert.Contains(keyId, listed);

        var (code, _, stderr) = await Run(AwsCli, "--endpoint-url", endpoint, "kms", "decrypt", "--ciphertext-blob", "fileb://ct.bin");
        Assert.NotEqual(0, code);
        Assert.Contains("InvalidCiphertextException", stderr);
        (code, _, stderr) = await Run(AwsCli, "--endpoint-url", endpoint, "kms", "describe-key", "--key-id", "alias/nope");
        Assert.NotEqual(0, code);
        Assert.Contains("NotFoundException", stderr);

        async Task<string> Aws(params string[] args)
        {
            var (exit, stdout, err) = await Run(AwsCli, ["--endpoint-url", endpoint, .. args]);
            Assert.True(exit == 0, $"aws {string.Join(' ', args)} failed ({exit}): {err}");
            return stdout;
        }
    }

    [Fact]
    public async Task Boto3_works_unmodified()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Interop", "boto3_interop.py");
        var (code, stdout, stderr) = await Run(Python, script, server.Url.ToString().TrimEnd('/'));
        Assert.True(code == 0, $"boto3 interop failed ({code}):\n{stdout}\n{stderr}");
        Assert.Contains("boto3 interop ok", stdout);
    }

    [Fact]
    public async Task The_aws_encryption_sdk_for_javascript_works_unmodified()
    {
        var folder = EsdkFolder();
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "@aws-crypto")),
            $"{folder}/node_modules is missing: run scripts/test, which installs the AWS Encryption SDK with npm ci");
        var (code, stdout, stderr) = await ExternalProcess.RunAsync("node", [Path.Combine(folder, "esdk_interop.mjs"), server.Url.ToString().TrimEnd('/')],
            new Dictionary<string, string>(ExternalProcess.AwsEnvironment(_work)) { ["NODE_NO_WARNINGS"] = "1" }, folder);
        Assert.True(code == 0, $"AWS Encryption SDK interop failed ({code}):\n{stdout}\n{stderr}");
        Assert.Contains("esdk interop ok", stdout);
    }

    /// <summary>tests/Keyward.EndToEnd.Tests/Interop/esdk, found from the test binaries upwards.</summary>
    private static string EsdkFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Interop", "esdk");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("Interop/esdk not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task Curl_with_aws_sigv4_works()
    {
        // curl signs content-type and x-amz-target too: the server verifies whatever is listed.
        var endpoint = server.Url.ToString();
        string[] Curl(string target, string body) =>
        [
            "-sS", "--aws-sigv4", "aws:amz:us-east-1:kms", "--user", $"{ServerFixture.AccessKeyId}:{ServerFixture.SecretAccessKey}",
            "-H", "Content-Type: application/x-amz-json-1.1", "-H", $"X-Amz-Target: TrentService.{target}",
            "-w", "\n%{http_code}", "--data-binary", body, endpoint,
        ];
        var (code, stdout, stderr) = await Run("curl", Curl("CreateKey", "{\"Description\":\"curl\"}"));
        Assert.True(code == 0, stderr);
        Assert.EndsWith("\n200", stdout);
        Assert.Contains("\"Description\":\"curl\"", stdout);

        (code, stdout, _) = await Run("curl", Curl("GenerateRandom", "{\"NumberOfBytes\":32}"));
        Assert.EndsWith("\n200", stdout);
        Assert.Contains("\"Plaintext\":", stdout);

        (code, stdout, _) = await Run("curl", Curl("DescribeKey", "{\"KeyId\":\"alias/missing\"}"));
        Assert.EndsWith("\n400", stdout);
        Assert.Contains("\"__type\":\"NotFoundException\"", stdout);
    }

    private Task<(int Code, string Stdout, string Stderr)> Run(string file, params string[] args) =>
        ExternalProcess.RunAsync(file, args, ExternalProcess.AwsEnvironment(_work), _work);

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
