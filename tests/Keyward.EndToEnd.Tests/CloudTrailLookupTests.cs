using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// CloudTrail's LookupEvents over the audit log, through unmodified clients: Debian's aws CLI (`aws cloudtrail
/// lookup-events`) and boto3's CloudTrail client (Interop/cloudtrail_lookup.py: every attribute, paging, time ranges,
/// the error types, authorization by cloudtrail:LookupEvents and the account boundary).
/// </summary>
public sealed class CloudTrailLookupTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-trail").FullName;
    private readonly ServerFixture _server;
    private string _keyArn = "", _otherKeyArn = "";

    public CloudTrailLookupTests() => _server = new ServerFixture { IdentitiesFile = TestIdentities.Write(_dir) };

    private static string AwsCli => Environment.GetEnvironmentVariable("KEYWARD_AWS_CLI") is { Length: > 0 } p ? p : "/usr/bin/aws";
    private static string Python => Environment.GetEnvironmentVariable("KEYWARD_PYTHON") is { Length: > 0 } p ? p : "python3";

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        using var root = _server.Client();
        var key = (await root.CreateKeyAsync(new CreateKeyRequest { Description = "trail" })).KeyMetadata;
        _keyArn = key.Arn;
        _otherKeyArn = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.Arn;
        for (var i = 0; i < 3; i++)
            await root.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1, 2, 3]) });
        await root.DescribeKeyAsync(new DescribeKeyRequest { KeyId = _otherKeyArn });
        using var app = TestIdentities.Client(_server, "app");
        var denied = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            app.EncryptAsync(new EncryptRequest { KeyId = key.Arn, Plaintext = new MemoryStream([1]) }));
        Assert.Equal("AccessDeniedException", denied.ErrorCode);
        await _server.Host.FlushAuditAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Boto3_looks_up_by_every_attribute_pages_and_is_refused_as_cloudtrail_refuses()
    {
        Assert.True(File.Exists(AwsCli), "Debian's awscli (and its python3-botocore) is missing: run scripts/test");
        var script = Path.Combine(AppContext.BaseDirectory, "Interop", "cloudtrail_lookup.py");
        var (code, stdout, stderr) = await ExternalProcess.RunAsync(Python, [script, Endpoint, _keyArn, _otherKeyArn], new Dictionary<string, string>(ExternalProcess.AwsEnvironment(_dir))
        {
            ["KEYWARD_ROOT"] = $"{ServerFixture.AccessKeyId}:{ServerFixture.SecretAccessKey}",
            ["KEYWARD_AUDITOR"] = "AKIAAUDITOR000000001:auditor-secret-0123456789ab",
            ["KEYWARD_APP"] = "AKIAAPPUSER000000001:app-secret-0123456789abcdef",
            ["KEYWARD_OTHER"] = "AKIAOTHERROOT0000001:other-root-secret-0123456789",
        }, _dir);
        Assert.True(code == 0, $"cloudtrail_lookup.py failed ({code}):\n{stdout}\n{stderr}");
        Assert.Contains("cloudtrail lookup ok", stdout);
    }

    [Fact]
    public async Task The_aws_cli_pages_through_a_key_s_events_and_filters_by_time()
    {
        Assert.True(File.Exists(AwsCli), $"{AwsCli} is missing: run scripts/test, which installs Debian's awscli");
        // Pages of one event each: the CLI follows NextToken until the server stops giving one.
        var all = await Aws("cloudtrail", "lookup-events", "--lookup-attributes", $"AttributeKey=ResourceName,AttributeValue={_keyArn}",
            "--page-size", "1", "--output", "json");
        var events = JsonDocument.Parse(all).RootElement.GetProperty("Events").EnumerateArray().ToList();
        Assert.Equal(["Encrypt", "Encrypt", "Encrypt", "Encrypt", "CreateKey"], events.Select(e => e.GetProperty("EventName").GetString()));
        var trail = JsonDocument.Parse(events[0].GetProperty("CloudTrailEvent").GetString()!).RootElement;
        Assert.Equal("AccessDeniedException", trail.GetProperty("errorCode").GetString());
        Assert.Equal(TestIdentities.Arn("app"), trail.GetProperty("userIdentity").GetProperty("arn").GetString());

        var future = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ");
        var none = await Aws("cloudtrail", "lookup-events", "--start-time", future, "--output", "json");
        Assert.Empty(JsonDocument.Parse(none).RootElement.GetProperty("Events").EnumerateArray());

        var (code, _, stderr) = await Run(AwsCli, "--endpoint-url", Endpoint, "cloudtrail", "lookup-events",
            "--start-time", future, "--end-time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"));
        Assert.NotEqual(0, code);
        Assert.Contains("InvalidTimeRangeException", stderr);
    }

    [Theory]
    [InlineData("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", "kms", "'cloudtrail'")]
    [InlineData("TrentService.ListKeys", "cloudtrail", "'kms'")]
    [InlineData("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvent", "cloudtrail", null)]
    public async Task Each_target_must_be_signed_for_its_own_service(string target, string service, string? expectedService)
    {
        using var http = new HttpClient { BaseAddress = _server.Url };
        var body = "{}"u8.ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/x-amz-json-1.1");
        var headers = new Dictionary<string, string>
        {
            ["host"] = $"{_server.Url.Host}:{_server.Url.Port}",
            ["content-type"] = "application/x-amz-json-1.1",
            ["x-amz-target"] = target,
        };
        var (date, auth) = Keyward.Protocol.SigV4.SigV4Signer.Sign("POST", "/", "", headers, body, ServerFixture.AccessKeyId,
            ServerFixture.SecretAccessKey, ServerFixture.Region, service, DateTimeOffset.UtcNow);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", date);
        request.Headers.TryAddWithoutValidation("Authorization", auth);
        using var response = await http.SendAsync(request);
        var reply = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(400, (int)response.StatusCode);
        if (expectedService is null)
        {
            // Signed for CloudTrail, but not an operation Keyward's CloudTrail has.
            Assert.Equal("UnknownOperationException", reply.GetProperty("__type").GetString());
            return;
        }
        Assert.Equal("InvalidSignatureException", reply.GetProperty("__type").GetString());
        Assert.Contains(expectedService, reply.GetProperty("message").GetString());
    }

    private string Endpoint => _server.Url.ToString().TrimEnd('/');

    private async Task<string> Aws(params string[] args)
    {
        var (code, stdout, stderr) = await Run(AwsCli, ["--endpoint-url", Endpoint, .. args]);
        Assert.True(code == 0, $"aws {string.Join(' ', args)} failed ({code}): {stderr}");
        return stdout;
    }

    private Task<(int Code, string Stdout, string Stderr)> Run(string file, params string[] args) =>
        ExternalProcess.RunAsync(file, args, ExternalProcess.AwsEnvironment(_dir), _dir);
}
