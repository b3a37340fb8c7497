using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// The developer guide's import procedure with Debian's aws CLI and openssl (Interop/import_key_material.sh),
/// for every wrapping algorithm and for symmetric, HMAC, RSA and ECC material. scripts/test installs
/// both tools; a missing one fails the test. The procedure is a dozen aws CLI calls (most of a second each), so
/// the cases are split over two classes, each with a server of its own, which run beside each other and the rest.
/// </summary>
public abstract class ImportCliTests(ServerFixture server) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("keyward-import-cli").FullName;

    private static string AwsCli => Environment.GetEnvironmentVariable("KEYWARD_AWS_CLI") is { Length: > 0 } p ? p : "/usr/bin/aws";
    private static string OpenSsl => Environment.GetEnvironmentVariable("KEYWARD_OPENSSL") is { Length: > 0 } p ? p : "/usr/bin/openssl";

    protected async Task RunProcedure(string spec, string usage, string algorithm, string wrappingSpec)
    {
        Assert.True(File.Exists(AwsCli), $"{AwsCli} is missing: run scripts/test, which installs Debian's awscli");
        Assert.True(File.Exists(OpenSsl), $"{OpenSsl} is missing: run scripts/test, which installs openssl");
        var script = Path.Combine(AppContext.BaseDirectory, "Interop", "import_key_material.sh");
        var (code, stdout, stderr) = await ExternalProcess.RunAsync("bash", [script, server.Url.ToString().TrimEnd('/'), spec, usage, algorithm, wrappingSpec],
            new Dictionary<string, string>(ExternalProcess.AwsEnvironment(_work)) { ["AWS_CLI"] = AwsCli, ["OPENSSL"] = OpenSsl }, _work);
        Assert.True(code == 0, $"import procedure failed ({code}):\n{stdout}\n{stderr}");
        Assert.Contains($"import procedure ok: {spec} {usage} {algorithm} {wrappingSpec}", stdout);
    }

    public void Dispose()
    {
        Directory.Delete(_work, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>Symmetric material, under each of the four wrapping algorithms.</summary>
public sealed class ImportCliSymmetricTests(ServerFixture server) : ImportCliTests(server), IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "RSAES_OAEP_SHA_1", "RSA_2048")]
    [InlineData("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "RSAES_OAEP_SHA_256", "RSA_3072")]
    [InlineData("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "RSA_AES_KEY_WRAP_SHA_1", "RSA_2048")]
    [InlineData("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "RSA_AES_KEY_WRAP_SHA_256", "RSA_4096")]
    public Task The_developer_guide_import_procedure_works_with_the_aws_cli_and_openssl(string spec, string usage, string algorithm, string wrappingSpec) =>
        RunProcedure(spec, usage, algorithm, wrappingSpec);
}

/// <summary>HMAC, RSA and ECC material.</summary>
public sealed class ImportCliAsymmetricAndHmacTests(ServerFixture server) : ImportCliTests(server), IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("HMAC_256", "GENERATE_VERIFY_MAC", "RSA_AES_KEY_WRAP_SHA_1", "RSA_2048")]
    [InlineData("RSA_2048", "SIGN_VERIFY", "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048")]
    [InlineData("ECC_NIST_P256", "SIGN_VERIFY", "RSAES_OAEP_SHA_1", "RSA_2048")]
    [InlineData("ECC_NIST_P384", "SIGN_VERIFY", "RSA_AES_KEY_WRAP_SHA_256", "RSA_3072")]
    public Task The_developer_guide_import_procedure_works_with_the_aws_cli_and_openssl(string spec, string usage, string algorithm, string wrappingSpec) =>
        RunProcedure(spec, usage, algorithm, wrappingSpec);
}
