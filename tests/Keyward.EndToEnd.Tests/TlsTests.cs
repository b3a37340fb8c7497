using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Server.Hosting;

namespace Keyward.EndToEnd.Tests;

/// <summary>`keyward serve` on https:// with a PEM certificate: the AWS SDK and curl over TLS.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-tls").FullName;
    private string CertPath => Path.Combine(_dir, "server.crt");
    private string KeyPath => Path.Combine(_dir, "server.key");
    private KmsHost _host = null!;
    private X509Certificate2 _certificate = null!;

    public async Task InitializeAsync()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=keyward-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(CertPath, _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(KeyPath, rsa.ExportPkcs8PrivateKeyPem());
        _host = await KmsHost.StartAsync(new KmsServerOptions
        {
            Listen = "https://127.0.0.1:0",
            DataDir = Path.Combine(_dir, "data"),
            AccessKeyId = ServerFixture.AccessKeyId,
            SecretAccessKey = ServerFixture.SecretAccessKey,
            TlsCertificateFile = CertPath,
            TlsKeyFile = KeyPath,
            Console = TextWriter.Null,
        });
    }

    [Fact]
    public async Task The_aws_sdk_works_over_tls()
    {
        using var kms = new AmazonKeyManagementServiceClient(
            new BasicAWSCredentials(ServerFixture.AccessKeyId, ServerFixture.SecretAccessKey),
            new AmazonKeyManagementServiceConfig
            {
                ServiceURL = _host.Url.ToString(),
                AuthenticationRegion = ServerFixture.Region,
                MaxErrorRetry = 0,
                HttpClientFactory = new TrustingFactory(_certificate),
            });
        Assert.Equal("https", _host.Url.Scheme);
        var id = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = id, Plaintext = new MemoryStream([1, 2]) })).CiphertextBlob;
        Assert.Equal(new byte[] { 1, 2 }, (await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext.ToArray());
    }

    [Theory]
    [InlineData("--tlsv1.2", "--tls-max", "1.2")]
    [InlineData("--tlsv1.3", "--tls-max", "1.3")]
    public async Task Curl_works_over_tls_12_and_13(params string[] tls)
    {
        var (code, stdout, stderr) = await Curl([.. tls, "--cacert", CertPath]);
        Assert.True(code == 0, stderr);
        Assert.EndsWith("\n200", stdout);
    }

    [Fact]
    public async Task An_untrusted_certificate_fails_verification()
    {
        var (code, _, stderr) = await Curl([]);
        Assert.Equal(60, code); // curl: peer certificate cannot be authenticated
        Assert.Contains("certificate", stderr);
    }

    [Fact]
    public async Task Https_without_certificate_files_is_a_configuration_error()
    {
        await Assert.ThrowsAsync<ServerConfigurationException>(() => KmsHost.StartAsync(new KmsServerOptions
        {
            Listen = "https://127.0.0.1:0", DataDir = Path.Combine(_dir, "other"), Console = TextWriter.Null,
        }));
        Assert.False(Directory.Exists(Path.Combine(_dir, "other")), "nothing is created before the configuration is checked");
    }

    private Task<(int Code, string Stdout, string Stderr)> Curl(string[] extra) => ExternalProcess.RunAsync("curl",
    [
        "-sS", "--aws-sigv4", "aws:amz:us-east-1:kms", "--user", $"{ServerFixture.AccessKeyId}:{ServerFixture.SecretAccessKey}",
        "-H", "Content-Type: application/x-amz-json-1.1", "-H", "X-Amz-Target: TrentService.ListKeys",
        "-w", "\n%{http_code}", "--data-binary", "{}", .. extra, _host.Url.ToString(),
    ]);

    /// <summary>An HttpClient that trusts exactly the test's self-signed certificate.</summary>
    private sealed class TrustingFactory(X509Certificate2 trusted) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.Thumbprint == trusted.Thumbprint,
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
