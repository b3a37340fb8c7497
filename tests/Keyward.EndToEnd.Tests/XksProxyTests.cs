using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Pkcs11;
using Keyward.Pkcs11.Interop;
using Keyward.Tests.Shared;
using Keyward.XksProxy;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// `keyward xks-proxy` in process on 127.0.0.1 in front of a SoftHSM2 token, driven with curl --aws-sigv4 (which
/// also signs content-type) for service kms-xks-proxy: the four operations, the AAD and CDIV of the specification,
/// and the errors for a bad secret, an unknown key, an unknown prefix, a wrong method and a tampered ciphertext.
/// </summary>
public sealed class XksProxyTests(XksProxyTests.Proxy fixture) : IClassFixture<XksProxyTests.Proxy>
{
    // The credentials of the fixture's tenants (see Proxy.Config), used by every test class of this proxy.
    internal const string AccessKey = "AKIAXKSPROXYTEST2345";
    internal const string Secret = "xksTestSecret0123456789abcdefghijABCDEFGHIJ/+=";
    internal const string OtherKey = "AKIAXKSPROXYOTHER2345";
    internal const string OtherSecret = "xksOtherSecret0123456789abcdefghijABCDEFGHIJ+";
    internal const string RuledKey = "AKIAXKSPROXYRULES2345";
    internal const string RuledSecret = "xksRuledSecret0123456789abcdefghijABCDEFGHIJ+";
    private const string SlowKey = "AKIAXKSPROXYSLOW23456";
    private const string SlowSecret = "xksSlowSecret0123456789abcdefghijABCDEFGHIJ+=";
    private XksProxyHost _proxy => fixture.Host;
    private string _token => fixture.Token;
    private string _work => fixture.Work;

    /// <summary>One SoftHSM token with three keys and one proxy for the whole class (tokens are a per-process budget).</summary>
    public sealed class Proxy : IAsyncLifetime
    {
        public string Token { get; } = SoftHsm.NewToken();
        public string Work { get; } = Directory.CreateTempSubdirectory("keyward-xks").FullName;
        internal XksProxyHost Host { get; private set; } = null!;
        public string ConfigPath => Path.Combine(Work, "xks-proxy.json");

        public async Task InitializeAsync()
        {
            Environment.SetEnvironmentVariable("KEYWARD_XKS_TEST_PIN", SoftHsm.Pin);
            using (var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), Token, Encoding.UTF8.GetBytes(SoftHsm.Pin), 2, TimeSpan.FromSeconds(5)))
            {
                hsm.Open();
                hsm.Run(s =>
                {
                    foreach (var (label, use) in new[] { ("ext-key-1", AesKeyUse.EncryptDecrypt), ("xks-health", AesKeyUse.EncryptDecrypt), ("wrap-only", AesKeyUse.WrapUnwrap) })
                        s.GenerateKey(CKM.AES_KEY_GEN, Template.AesKey(use, token: true, extractable: false, generate: true).Text(CKA.LABEL, label));
                    return 0;
                });
            }
            await File.WriteAllTextAsync(ConfigPath, Config([AccessKey]));
            Host = await XksProxyHost.StartAsync(XksProxyOptions.Load(ConfigPath), ConfigPath);
        }

        /// <summary>The configuration file, with tenant-a holding the credentials named (for the rotation test).</summary>
        public string Config(IEnumerable<string> tenantAKeys) => JsonSerializer.Serialize(new
        {
            listen = "http://127.0.0.1:0", allowPlainHttp = true,
            cluster = new { id = "xks-test", module = SoftHsm.Module, hsms = new[] { new { token = Token } } },
            pinEnvironmentVariable = "KEYWARD_XKS_TEST_PIN", healthCheckKey = "xks-health",
            tenants = new object[]
            {
                new { uriPathPrefix = "/tenant-a", credentials = tenantAKeys.Select(k => new { accessKeyId = k, secretAccessKey = k == AccessKey ? Secret : OtherSecret }).ToArray() },
                new { uriPathPrefix = "", keys = new[] { "wrap-only" }, credentials = new[] { new { accessKeyId = OtherKey, secretAccessKey = OtherSecret } } },
                new { uriPathPrefix = "/slow", requestsPerSecond = 2, credentials = new[] { new { accessKeyId = SlowKey, secretAccessKey = SlowSecret } } },
                new
                {
                    uriPathPrefix = "/ruled", credentials = new[] { new { accessKeyId = RuledKey, secretAccessKey = RuledSecret } },
                    authorization = new
                    {
                        @default = "deny",
                        rules = new object[]
                        {
                            new { name = "billing uses the key", effect = "allow", awsPrincipalArn = new[] { "arn:aws:iam::111122223333:role/billing-*" },
                                  kmsOperation = new[] { "Encrypt", "Decrypt", "GenerateDataKey*", "DescribeKey", "CreateKey" } },
                            new { name = "not through other services", effect = "deny", kmsViaService = new[] { "*" } },
                        },
                    },
                },
            },
        });

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            Directory.Delete(Work, recursive: true);
        }
    }

    private static string Metadata(string op, string principal = "arn:aws:iam::111122223333:user/app", string? via = null) =>
        $$"""{"awsPrincipalArn":"{{principal}}","kmsOperation":"{{op}}","kmsRequestId":"{{Guid.NewGuid()}}","kmsKeyArn":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"{{(via is null ? "" : $",\"kmsViaService\":\"{via}\"")}},"someFutureField":1}""";

    /// <summary>curl --aws-sigv4 with a JSON content type (curl then signs content-type;host;x-amz-date).</summary>
    private async Task<(int Status, JsonElement Body)> Curl(string path, string body, string key = AccessKey, string secret = Secret, string method = "POST")
    {
        var args = new List<string>
        {
            "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, "--aws-sigv4", "aws:amz:us-east-1:kms-xks-proxy", "--user", $"{key}:{secret}",
            "-H", "Content-Type: application/json", "--data-binary", body, new Uri(_proxy.Address, path).ToString(),
        };
        var (code, stdout, stderr) = await ExternalProcess.RunAsync("curl", [.. args], new Dictionary<string, string>(), _work);
        Assert.True(code == 0, stderr);
        var newline = stdout.LastIndexOf('\n');
        var status = int.Parse(stdout[(newline + 1)..].Trim());
        var text = stdout[..newline];
        return (status, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertError(int expectedStatus, string expectedName, (int Status, JsonElement Body) response)
    {
        Assert.Equal(expectedStatus, response.Status);
        Assert.Equal(expectedName, response.Body.GetProperty("errorName").GetString());
    }

    [Fact]
    public async Task Metadata_encrypt_and_decrypt_round_trip_with_aad_and_cdiv()
    {
        var meta = await Curl("/tenant-a/kms/xks/v1/keys/ext-key-1/metadata", $$"""{"requestMetadata":{{Metadata("CreateKey")}}}""");
        Assert.Equal(200, meta.Status);
        Assert.Equal("AES_256", meta.Body.GetProperty("keySpec").GetString());
        Assert.Equal(["ENCRYPT", "DECRYPT"], meta.Body.GetProperty("keyUsage").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("ENABLED", meta.Body.GetProperty("keyStatus").GetString());

        var plaintext = Encoding.UTF8.GetBytes(new string('p', 4300));
        var aad = Encoding.UTF8.GetBytes(new string('a', 8192));
        var enc = await Curl("/tenant-a/kms/xks/v1/keys/ext-key-1/encrypt",
            $$"""{"requestMetadata":{{Metadata("Encrypt")}},"plaintext":"{{Convert.ToBase64String(plaintext)}}","additionalAuthenticatedData":"{{Convert.ToBase64String(aad)}}","encryptionAlgorithm":"AES_GCM","ciphertextDataIntegrityValueAlgorithm":"SHA_256"}""");
        Assert.Equal(200, enc.Status);
        var ct = Convert.FromBase64String(enc.Body.GetProperty("ciphertext").GetString()!);
        var iv = Convert.FromBase64String(enc.Body.GetProperty("initializationVector").GetString()!);
        var tag = Convert.FromBase64String(enc.Body.GetProperty("authenticationTag").GetString()!);
        Assert.Equal((plaintext.Length, 12, 16), (ct.Length, iv.Length, tag.Length));
        Assert.Equal(Keyward.Protocol.Xks.XksIntegrity.Cdiv(aad, [], iv, ct, tag), Convert.FromBase64String(enc.Body.GetProperty("ciphertextDataIntegrityValue").GetString()!));

        string Decrypt(byte[] c, byte[] a) =>
            $$"""{"requestMetadata":{{Metadata("Decrypt")}},"ciphertext":"{{Convert.ToBase64String(c)}}","additionalAuthenticatedData":"{{Convert.ToBase64String(a)}}","encryptionAlgorithm":"AES_GCM","authenticationTag":"{{Convert.ToBase64String(tag)}}","initializationVector":"{{Convert.ToBase64String(iv)}}"}""";
        var dec = await Curl("/tenant-a/kms/xks/v1/keys/ext-key-1/decrypt", Decrypt(ct, aad));
        Assert.Equal(200, dec.Status);
        Assert.Equal(plaintext, Convert.FromBase64String(dec.Body.GetProperty("plaintext").GetString()!));

        // A flipped bit in the ciphertext, or different AAD, gives InvalidCiphertextException and nothing else.
        var flipped = (byte[])ct.Clone();
        flipped[7] ^= 1;
        AssertError(400, "InvalidCiphertextException", await Curl("/tenant-a/kms/xks/v1/keys/ext-key-1/decrypt", Decrypt(flipped, aad)));
        AssertError(400, "InvalidCiphertextException", await Curl("/tenant-a/kms/xks/v1/keys/ext-key-1/decrypt", Decrypt(ct, [1, 2, 3])));
    }

    [Fact]
    public async Task The_health_check_is_deep_and_reports_each_hsm()
    {
        // The specification requires kmsRequestId and kmsOperation in a health request too (the AWS XKS test client checks).
        foreach (var incomplete in new[] { "{}", """{"requestMetadata":{}}""", """{"requestMetadata":{"kmsRequestId":"r-0"}}""",
                     """{"requestMetadata":{"kmsOperation":"KmsHealthCheck"}}""" })
            AssertError(400, "ValidationException", await Curl("/tenant-a/kms/xks/v1/health", incomplete));
        var health = await Curl("/tenant-a/kms/xks/v1/health", """{"requestMetadata":{"kmsRequestId":"r-1","kmsOperation":"KmsHealthCheck"}}""");
        Assert.Equal(200, health.Status);
        Assert.Equal(1, health.Body.GetProperty("xksProxyFleetSize").GetInt32());
        var hsm = Assert.Single(health.Body.GetProperty("ekmFleetDetails").EnumerateArray());
        Assert.Equal((_token, "ACTIVE"), (hsm.GetProperty("id").GetString(), hsm.GetProperty("healthStatus").GetString()));
    }

    [Fact]
    public async Task Each_failure_gets_the_specified_error_name_and_status()
    {
        var body = $$"""{"requestMetadata":{{Metadata("DescribeKey")}}}""";
        AssertError(401, "AuthenticationFailedException", await Curl("/tenant-a/kms/xks/v1/keys/ext-key-1/metadata", body, secret: "wrongSecret0123456789abcdefghijABCDEFGHIJKLMN"));
        // Credentials belong to their prefix: tenant-a's key is unknown at the root prefix and the other way round.
        AssertError(401, "AuthenticationFailedException", await Curl("/kms/xks/v1/keys/ext-key-1/metadata", body));
        AssertError(404, "KeyNotFoundException", await Curl("/tenant-a/kms/xks/v1/keys/no-such-key/metadata", body));
        AssertError(404, "KeyNotFoundException", await Curl("/kms/xks/v1/keys/ext-key-1/metadata", body, OtherKey, OtherSecret));
        AssertError(404, "InvalidUriPathException", await Curl("/tenant-b/kms/xks/v1/keys/ext-key-1/metadata", body));
        AssertError(404, "InvalidUriPathException", await Curl("/tenant-a/kms/xks/v2/keys/ext-key-1/metadata", body));
        AssertError(400, "ValidationException", await Curl("/tenant-a/kms/xks/v1/keys/ext-key-1/metadata", "{not json"));
        AssertError(400, "ValidationException", await Curl("/tenant-a/kms/xks/v1/keys/ext-key-1/encrypt",
            $$"""{"requestMetadata":{{Metadata("Encrypt")}},"plaintext":"***","encryptionAlgorithm":"AES_GCM"}"""));
        AssertError(400, "InvalidKeyUsageException", await Curl("/kms/xks/v1/keys/wrap-only/encrypt",
            $$"""{"requestMetadata":{{Metadata("Encrypt")}},"plaintext":"AAAA","encryptionAlgorithm":"AES_GCM"}""", OtherKey, OtherSecret));
        AssertError(501, "UnsupportedOperationException", await Curl("/tenant-a/kms/xks/v1/keys/ext-key-1/encrypt",
            $$"""{"requestMetadata":{{Metadata("Encrypt")}},"plaintext":"{{Convert.ToBase64String(new byte[9000])}}","encryptionAlgorithm":"AES_GCM"}"""));
        var get = await Curl("/tenant-a/kms/xks/v1/health", "", method: "GET");
        Assert.Equal((int)HttpStatusCode.MethodNotAllowed, get.Status);
    }

    /// <summary>The AWS SDK for .NET's own SigV4 signer (AWSSDK.Core's AWS4Signer) for service kms-xks-proxy, as KMS signs.</summary>
    [Fact]
    public async Task A_request_signed_by_the_aws_sdk_signer_is_accepted_and_one_signed_with_another_secret_is_not()
    {
        async Task<HttpResponseMessage> Send(string secret)
        {
            var body = Encoding.UTF8.GetBytes($$"""{"requestMetadata":{{Metadata("DescribeKey")}}}""");
            var config = new Amazon.KeyManagementService.AmazonKeyManagementServiceConfig
            {
                ServiceURL = _proxy.Address.ToString(), AuthenticationRegion = "us-east-1", AuthenticationServiceName = "kms-xks-proxy",
            };
            var request = new Amazon.Runtime.Internal.DefaultRequest(new Amazon.KeyManagementService.Model.DescribeKeyRequest(), "kms-xks-proxy")
            {
                HttpMethod = "POST", Endpoint = _proxy.Address, ResourcePath = "/tenant-a/kms/xks/v1/keys/ext-key-1/metadata", Content = body,
                AuthenticationRegion = "us-east-1",
            };
            request.Headers["Content-Type"] = "application/json";
            var signed = new Amazon.Runtime.Internal.Auth.AWS4Signer().SignRequest(request, config, null, AccessKey, secret);
            request.Headers["Authorization"] = signed.ForAuthorizationHeader;
            using var http = new HttpClient();
            var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_proxy.Address, request.ResourcePath)) { Content = new ByteArrayContent(body) };
            foreach (var (name, value) in request.Headers)
            {
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(value);
                else if (!name.Equals("Host", StringComparison.OrdinalIgnoreCase) && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    message.Headers.TryAddWithoutValidation(name, value);
            }
            return await http.SendAsync(message);
        }

        using var ok = await Send(Secret);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("\"keySpec\":\"AES_256\"", await ok.Content.ReadAsStringAsync());
        using var refused = await Send(OtherSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("AuthenticationFailedException", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Secondary_authorization_names_the_rule_that_denied_and_exempts_health()
    {
        var encrypt = (string metadata) => $$"""{"requestMetadata":{{metadata}},"plaintext":"AAAA","encryptionAlgorithm":"AES_GCM"}""";
        var allowed = await Curl("/ruled/kms/xks/v1/keys/ext-key-1/encrypt", encrypt(Metadata("Encrypt", "arn:aws:iam::111122223333:role/billing-app")), RuledKey, RuledSecret);
        Assert.Equal(200, allowed.Status);
        var other = await Curl("/ruled/kms/xks/v1/keys/ext-key-1/encrypt", encrypt(Metadata("Encrypt", "arn:aws:iam::444455556666:role/billing-app")), RuledKey, RuledSecret);
        AssertError(403, "AccessDeniedException", other);
        Assert.Contains("default is deny", other.Body.GetProperty("errorMessage").GetString());
        var via = await Curl("/ruled/kms/xks/v1/keys/ext-key-1/encrypt", encrypt(Metadata("Encrypt", "arn:aws:iam::111122223333:role/billing-app", via: "s3.amazonaws.com")), RuledKey, RuledSecret);
        AssertError(403, "AccessDeniedException", via);
        Assert.Contains("'not through other services'", via.Body.GetProperty("errorMessage").GetString());
        var operation = await Curl("/ruled/kms/xks/v1/keys/ext-key-1/encrypt", encrypt(Metadata("ReEncrypt", "arn:aws:iam::111122223333:role/billing-app")), RuledKey, RuledSecret);
        AssertError(403, "AccessDeniedException", operation);
        var health = await Curl("/ruled/kms/xks/v1/health", """{"requestMetadata":{"kmsRequestId":"r-2","kmsOperation":"KmsHealthCheck"}}""", RuledKey, RuledSecret);
        Assert.Equal(200, health.Status);
    }

    [Fact]
    public async Task Credentials_rotate_through_the_configuration_file_without_a_restart()
    {
        var body = $$"""{"requestMetadata":{{Metadata("DescribeKey")}}}""";
        const string path = "/tenant-a/kms/xks/v1/keys/ext-key-1/metadata";
        try
        {
            Assert.Equal(200, (await Curl(path, body)).Status);
            AssertError(401, "AuthenticationFailedException", await Curl(path, body, OtherKey, OtherSecret));
            // Both credentials during the rotation, then only the new one.
            await Rewrite([AccessKey, OtherKey], async () => (await Curl(path, body, OtherKey, OtherSecret)).Status == 200);
            Assert.Equal(200, (await Curl(path, body)).Status);
            Assert.Equal(200, (await Curl(path, body, OtherKey, OtherSecret)).Status);
            await Rewrite([OtherKey], async () => (await Curl(path, body)).Status == 401);
            AssertError(401, "AuthenticationFailedException", await Curl(path, body));
            Assert.Equal(200, (await Curl(path, body, OtherKey, OtherSecret)).Status);
            // A broken file keeps the last good credentials.
            await File.WriteAllTextAsync(fixture.ConfigPath, "{ not json");
            File.SetLastWriteTimeUtc(fixture.ConfigPath, DateTime.UtcNow.AddSeconds(5));
            await Task.Delay(1100);
            Assert.Equal(200, (await Curl(path, body, OtherKey, OtherSecret)).Status);
        }
        finally { await Rewrite([AccessKey], async () => (await Curl(path, body)).Status == 200); }
    }

    /// <summary>
    /// Writes the configuration with new tenant-a credentials and waits until the proxy (which looks about once a
    /// second) has taken them, as <paramref name="applied"/> shows.
    /// </summary>
    private async Task Rewrite(string[] keys, Func<Task<bool>> applied)
    {
        await File.WriteAllTextAsync(fixture.ConfigPath, fixture.Config(keys));
        File.SetLastWriteTimeUtc(fixture.ConfigPath, DateTime.UtcNow.AddSeconds(Interlocked.Increment(ref _stamp) * 10));
        await Eventually.WaitFor(applied);
    }

    private static int _stamp = 1;

    /// <summary>HTTPS with mutual TLS: the configured CA and subject are required; other clients and weaker suites end the handshake.</summary>
    [Fact]
    public async Task Mutual_tls_accepts_the_configured_client_and_refuses_others()
    {
        var dir = Directory.CreateTempSubdirectory("keyward-xks-tls").FullName;
        var now = DateTimeOffset.UtcNow;
        using var ca = Ca("Keyward test client CA");
        using var otherCa = Ca("Another CA");
        using var serverCa = Ca("Keyward test server CA");
        string Write(string name, string text) { var path = Path.Combine(dir, name); File.WriteAllText(path, text); return path; }
        (string Cert, string Key) Issue(X509Certificate2 issuer, string subject, bool server)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(IPAddress.Loopback);
                req.CertificateExtensions.Add(san.Build());
            }
            using var cert = req.Create(issuer, now.AddHours(-1), now.AddHours(1), RandomNumberGenerator.GetBytes(8));
            var name = Guid.NewGuid().ToString("N");
            return (Write(name + ".pem", cert.ExportCertificatePem()), Write(name + ".key", key.ExportPkcs8PrivateKeyPem()));
        }

        var server = Issue(serverCa, "CN=127.0.0.1", server: true);
        var good = Issue(ca, "CN=cks.kms.us-east-1.amazonaws.com", server: false);
        var wrongSubject = Issue(ca, "CN=someone.example.com", server: false);
        var wrongCa = Issue(otherCa, "CN=cks.kms.us-east-1.amazonaws.com", server: false);
        var options = XksProxyOptions.Load(fixture.ConfigPath);
        options.Listen = "https://127.0.0.1:0";
        options.AllowPlainHttp = false;
        options.Tls = new XksTlsOptions
        {
            Certificate = server.Cert, Key = server.Key, ClientCa = Write("client-ca.pem", ca.ExportCertificatePem()), ClientSubject = "CN=cks.kms.us-east-1.amazonaws.com",
        };
        var serverCaFile = Write("server-ca.pem", serverCa.ExportCertificatePem());
        await using var https = await XksProxyHost.StartAsync(options, configPath: null);
        var url = new Uri(https.Address, "/tenant-a/kms/xks/v1/health").ToString();
        async Task<(int Code, string Out)> Call(params string[] extra)
        {
            var args = new List<string> { "-s", "-o", "-", "-w", "\n%{http_code}", "--cacert", serverCaFile, "--aws-sigv4", "aws:amz:us-east-1:kms-xks-proxy",
                "--user", $"{AccessKey}:{Secret}", "-H", "Content-Type: application/json", "--data-binary", """{"requestMetadata":{"kmsRequestId":"r","kmsOperation":"KmsHealthCheck"}}""" };
            args.AddRange(extra);
            args.Add(url);
            var (code, stdout, _) = await ExternalProcess.RunAsync("curl", args, new Dictionary<string, string>(), dir);
            return (code, stdout);
        }

        var ok = await Call("--cert", good.Cert, "--key", good.Key);
        Assert.Equal(0, ok.Code);
        Assert.EndsWith("200", ok.Out);
        Assert.Contains("ACTIVE", ok.Out);
        Assert.NotEqual(0, (await Call()).Code);
        Assert.NotEqual(0, (await Call("--cert", wrongSubject.Cert, "--key", wrongSubject.Key)).Code);
        Assert.NotEqual(0, (await Call("--cert", wrongCa.Cert, "--key", wrongCa.Key)).Code);
        // TLS 1.2 with one of the specified suites works; with AES-128 it does not.
        Assert.Equal(0, (await Call("--cert", good.Cert, "--key", good.Key, "--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384")).Code);
        Assert.NotEqual(0, (await Call("--cert", good.Cert, "--key", good.Key, "--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256")).Code);
        Directory.Delete(dir, recursive: true);

        static X509Certificate2 Ca(string name)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        }
    }

    /// <summary>The owner disables the external key in the HSM (an end date in the past): KMS is refused within a second, then served again once re-enabled.</summary>
    [Fact]
    public async Task A_key_disabled_in_the_hsm_is_refused_and_reported_disabled()
    {
        using var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), _token, Encoding.UTF8.GetBytes(SoftHsm.Pin), 2, TimeSpan.FromSeconds(5));
        hsm.Open();
        // A public (CKA_PRIVATE false) key: SoftHSM 2.6 answers CKR_GENERAL_ERROR to other sessions reading a date set on a
        // private object after its creation (the proxy then treats the key as disabled: fail closed).
        hsm.Run(s => s.GenerateKey(CKM.AES_KEY_GEN, new Template().ULong(CKA.CLASS, CKO.SECRET_KEY).ULong(CKA.KEY_TYPE, CKK.AES).ULong(CKA.VALUE_LEN, 32)
            .Bool(CKA.TOKEN, true).Bool(CKA.PRIVATE, false).Bool(CKA.SENSITIVE, true).Bool(CKA.EXTRACTABLE, false)
            .Bool(CKA.ENCRYPT, true).Bool(CKA.DECRYPT, true).Text(CKA.LABEL, "ext-key-2")));
        void SetEndDate(string date) => hsm.Run(s => { s.SetBytes(HsmCluster.FindSecretKey(s, "ext-key-2")!.Value, CKA.END_DATE, Encoding.ASCII.GetBytes(date)); return 0; });
        var encrypt = $$"""{"requestMetadata":{{Metadata("Encrypt")}},"plaintext":"AAAA","encryptionAlgorithm":"AES_GCM"}""";
        const string path = "/tenant-a/kms/xks/v1/keys/ext-key-2/";
        Assert.Equal(200, (await Curl(path + "encrypt", encrypt)).Status);

        SetEndDate("20200101");
        var meta = await Curl(path + "metadata", $$"""{"requestMetadata":{{Metadata("DescribeKey")}}}""");
        Assert.Equal("DISABLED", meta.Body.GetProperty("keyStatus").GetString());
        await Task.Delay(ExternalKeyStore.AttributeMaxAge + TimeSpan.FromMilliseconds(100));
        AssertError(400, "InvalidStateException", await Curl(path + "encrypt", encrypt));

        SetEndDate(DateTime.UtcNow.AddYears(1).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("ENABLED", (await Curl(path + "metadata", $$"""{"requestMetadata":{{Metadata("DescribeKey")}}}""")).Body.GetProperty("keyStatus").GetString());
        Assert.Equal(200, (await Curl(path + "encrypt", encrypt)).Status);
    }

    /// <summary>A prefix's rate limit (here 2 per second, with one second of burst) answers ThrottlingException (429) beyond it.</summary>
    [Fact]
    public async Task Requests_beyond_a_prefix_rate_limit_are_throttled()
    {
        var statuses = new List<(int Status, JsonElement Body)>();
        for (var i = 0; i < 6; i++)
            statuses.Add(await Curl("/slow/kms/xks/v1/health", """{"requestMetadata":{"kmsRequestId":"r","kmsOperation":"KmsHealthCheck"}}""", SlowKey, SlowSecret));
        Assert.Contains(statuses, r => r.Status == 200);
        AssertError(429, "ThrottlingException", statuses.First(r => r.Status != 200));
        // Other prefixes keep their own budget.
        Assert.Equal(200, (await Curl("/tenant-a/kms/xks/v1/health", """{"requestMetadata":{"kmsRequestId":"r","kmsOperation":"KmsHealthCheck"}}""")).Status);
    }

    /// <summary>A load balancer's health check: GET /healthz without credentials, answered from the deep health check.</summary>
    [Fact]
    public async Task The_load_balancer_check_needs_no_credentials_and_reports_serving()
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(_proxy.Address, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"SERVING"}""", await response.Content.ReadAsStringAsync());
        // Only GET, and only that path: the XKS paths still need SigV4.
        using var post = await http.PostAsync(new Uri(_proxy.Address, "/healthz"), new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
    }

    /// <summary>A body that cannot be read (malformed chunked encoding) is the client's fault: ValidationException (400), not InternalException.</summary>
    [Fact]
    public async Task An_unreadable_body_is_a_validation_error()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_proxy.Address.Host, _proxy.Address.Port);
        var stream = tcp.GetStream();
        var head = $"POST /tenant-a/kms/xks/v1/health HTTP/1.1\r\nHost: {_proxy.Address.Authority}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var buffer = new byte[4096];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
            if (n == 0) break;
            read += n;
            if (Encoding.ASCII.GetString(buffer, 0, read).Contains("}")) break;
        }
        var answer = Encoding.ASCII.GetString(buffer, 0, read);
        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.Contains("\"errorName\":\"ValidationException\"", answer);
    }

    [Fact]
    public void The_cdiv_matches_the_specification_test_vector()
    {
        var cdiv = Keyward.Protocol.Xks.XksIntegrity.Cdiv(Convert.FromBase64String("cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n"), Convert.FromBase64String("a2V5X3ZlcnNpb249MQ=="),
            Convert.FromBase64String("HMrlRw85cAJUd5Ax"), Convert.FromBase64String("ghxkK1txeDNn3q8Y"), Convert.FromBase64String("vBxN2ncH1oEkR8WVXpmyYQ=="));
        Assert.Equal("qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=", Convert.ToBase64String(cdiv));
    }

}
