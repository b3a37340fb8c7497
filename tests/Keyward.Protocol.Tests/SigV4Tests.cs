using System.Globalization;
using System.Text;
using Keyward.Protocol.SigV4;

namespace Keyward.Protocol.Tests;

public sealed class SigV4Tests
{
    // AWS's published SigV4 test suite, case "get-vanilla".
    private const string AccessKey = "AKIDEXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly DateTimeOffset SuiteTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);
    private const string VanillaSignature = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    [Fact]
    public void Signer_reproduces_the_aws_test_suite_signature()
    {
        var (amzDate, authorization) = SigV4Signer.Sign("GET", "/", "", new Dictionary<string, string> { ["host"] = "example.amazonaws.com" },
            [], AccessKey, Secret, "us-east-1", "service", SuiteTime);
        Assert.Equal("20150830T123600Z", amzDate);
        Assert.Equal($"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={VanillaSignature}", authorization);
    }

    [Fact]
    public void Verifier_accepts_the_aws_test_suite_request()
    {
        var result = Verifier(SuiteTime).Verify(Vanilla(VanillaSignature));
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(AccessKey, result.AccessKeyId);
    }

    [Fact]
    public void Verifier_rejects_a_changed_signature()
    {
        var result = Verifier(SuiteTime).Verify(Vanilla(VanillaSignature[..^1] + "0"));
        Assert.Equal(SigV4Failure.SignatureMismatch, result.Failure);
        Assert.StartsWith("The request signature we calculated does not match", result.Message);
    }

    [Fact]
    public void Verifier_rejects_a_changed_body()
    {
        var headers = new Dictionary<string, string> { ["host"] = "localhost", ["x-amz-target"] = "TrentService.Encrypt" };
        var body = "{\"KeyId\":\"k\"}"u8.ToArray();
        var (date, auth) = SigV4Signer.Sign("POST", "/", "", headers, body, AccessKey, Secret, "us-east-1", "service", SuiteTime);
        var all = new Dictionary<string, string>(headers) { ["x-amz-date"] = date, ["authorization"] = auth };
        Assert.True(Verifier(SuiteTime).Verify(new SigV4Request("POST", "/", "", all.GetValueOrDefault, body)).Succeeded);
        var tampered = "{\"KeyId\":\"x\"}"u8.ToArray();
        Assert.Equal(SigV4Failure.SignatureMismatch, Verifier(SuiteTime).Verify(new SigV4Request("POST", "/", "", all.GetValueOrDefault, tampered)).Failure);
    }

    [Theory]
    [InlineData(-301, false)]
    [InlineData(-299, true)]
    [InlineData(299, true)]
    [InlineData(301, false)]
    public void Clock_skew_window_is_five_minutes(int offsetSeconds, bool accepted)
    {
        var result = Verifier(SuiteTime.AddSeconds(-offsetSeconds)).Verify(Vanilla(VanillaSignature));
        Assert.Equal(accepted ? SigV4Failure.None : SigV4Failure.Expired, result.Failure);
    }

    [Fact]
    public void Expired_message_names_the_times_like_aws()
    {
        var result = Verifier(SuiteTime.AddMinutes(10)).Verify(Vanilla(VanillaSignature));
        Assert.Equal("Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T124600Z - 5 min.)", result.Message);
    }

    [Fact]
    public void Unknown_access_key_is_reported_as_such()
    {
        var verifier = new SigV4Verifier("service", r => r == "us-east-1", _ => null, new ManualClock(SuiteTime));
        Assert.Equal(SigV4Failure.UnknownAccessKey, verifier.Verify(Vanilla(VanillaSignature)).Failure);
    }

    [Fact]
    public void Missing_authorization_is_missing_authentication()
    {
        var headers = new Dictionary<string, string> { ["host"] = "example.amazonaws.com", ["x-amz-date"] = "20150830T123600Z" };
        var result = Verifier(SuiteTime).Verify(new SigV4Request("GET", "/", "", headers.GetValueOrDefault, default));
        Assert.Equal(SigV4Failure.MissingAuthentication, result.Failure);
        Assert.Equal("Missing Authentication Token", result.Message);
    }

    [Theory]
    [InlineData("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=abc", "'Credential'")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date", "'Signature'")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, Signature=abc", "'SignedHeaders'")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc", "scoped")]
    [InlineData("Basic dXNlcjpwYXNz", "algorithm")]
    public void Incomplete_authorization_names_what_is_missing(string authorization, string expectedFragment)
    {
        var headers = new Dictionary<string, string> { ["host"] = "example.amazonaws.com", ["x-amz-date"] = "20150830T123600Z", ["authorization"] = authorization };
        var result = Verifier(SuiteTime).Verify(new SigV4Request("GET", "/", "", headers.GetValueOrDefault, default));
        Assert.Equal(SigV4Failure.IncompleteSignature, result.Failure);
        Assert.Contains(expectedFragment, result.Message);
    }

    [Theory]
    [InlineData("AKIDEXAMPLE/20150830/eu-west-1/service/aws4_request", "valid region")]
    [InlineData("AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request", "correct service")]
    [InlineData("AKIDEXAMPLE/20150831/us-east-1/service/aws4_request", "Date in Credential scope")]
    public void Wrong_scope_is_rejected(string credential, string expectedFragment)
    {
        var headers = new Dictionary<string, string>
        {
            ["host"] = "example.amazonaws.com", ["x-amz-date"] = "20150830T123600Z",
            ["authorization"] = $"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, Signature={VanillaSignature}",
        };
        var result = Verifier(SuiteTime).Verify(new SigV4Request("GET", "/", "", headers.GetValueOrDefault, default));
        Assert.Equal(SigV4Failure.InvalidScope, result.Failure);
        Assert.Contains(expectedFragment, result.Message);
    }

    [Fact]
    public void Host_must_be_signed()
    {
        var headers = new Dictionary<string, string>
        {
            ["host"] = "example.amazonaws.com", ["x-amz-date"] = "20150830T123600Z",
            ["authorization"] = $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature={VanillaSignature}",
        };
        Assert.Equal(SigV4Failure.InvalidScope, Verifier(SuiteTime).Verify(new SigV4Request("GET", "/", "", headers.GetValueOrDefault, default)).Failure);
    }

    [Fact]
    public void The_operation_and_the_date_must_be_under_the_signature()
    {
        var body = "{\"KeyId\":\"k\"}"u8.ToArray();
        var verifier = new SigV4Verifier("service", r => r == "us-east-1", k => k == AccessKey ? Secret : null, new ManualClock(SuiteTime),
            "x-amz-target");
        // Signed over host and the date only; the operation is added afterwards.
        var (date, auth) = SigV4Signer.Sign("POST", "/", "", new Dictionary<string, string> { ["host"] = "localhost" }, body,
            AccessKey, Secret, "us-east-1", "service", SuiteTime);
        var headers = new Dictionary<string, string>
            { ["host"] = "localhost", ["x-amz-date"] = date, ["authorization"] = auth, ["x-amz-target"] = "TrentService.ScheduleKeyDeletion" };
        var unsignedTarget = verifier.Verify(new SigV4Request("POST", "/", "", headers.GetValueOrDefault, body));
        Assert.Equal(SigV4Failure.IncompleteSignature, unsignedTarget.Failure);
        Assert.Contains("'x-amz-target' must be a 'SignedHeader'", unsignedTarget.Message);

        // The date header in use must be signed too.
        headers.Remove("x-amz-target");
        headers["authorization"] = auth.Replace("SignedHeaders=host;x-amz-date", "SignedHeaders=host", StringComparison.Ordinal);
        var unsignedDate = verifier.Verify(new SigV4Request("POST", "/", "", headers.GetValueOrDefault, body));
        Assert.Equal(SigV4Failure.IncompleteSignature, unsignedDate.Failure);
        Assert.Contains("'X-Amz-Date' must be a 'SignedHeader'", unsignedDate.Message);

        // Signed with the operation: accepted.
        var withTarget = new Dictionary<string, string> { ["host"] = "localhost", ["x-amz-target"] = "TrentService.Encrypt" };
        var (date2, auth2) = SigV4Signer.Sign("POST", "/", "", withTarget, body, AccessKey, Secret, "us-east-1", "service", SuiteTime);
        var signed = new Dictionary<string, string>(withTarget) { ["x-amz-date"] = date2, ["authorization"] = auth2 };
        Assert.True(verifier.Verify(new SigV4Request("POST", "/", "", signed.GetValueOrDefault, body)).Succeeded);
    }

    [Theory]
    // Two Authorization headers arrive joined by a comma.
    [InlineData($"{{auth}},AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={VanillaSignature}")]
    [InlineData("{auth}, junk")]
    [InlineData("{auth} junk")]
    [InlineData("{auth}, Signature=00")]
    [InlineData("{auth}, Extra=1")]
    public void An_authorization_header_with_anything_more_is_incomplete(string template)
    {
        var request = Vanilla(VanillaSignature);
        var authorization = template.Replace("{auth}", request.Header("authorization"), StringComparison.Ordinal);
        var headers = new Dictionary<string, string>
            { ["host"] = "example.amazonaws.com", ["x-amz-date"] = "20150830T123600Z", ["authorization"] = authorization };
        Assert.Equal(SigV4Failure.IncompleteSignature, Verifier(SuiteTime).Verify(new SigV4Request("GET", "/", "", headers.GetValueOrDefault, default)).Failure);
    }

    [Fact]
    public void A_signature_in_upper_case_hex_does_not_match()
    {
        Assert.Equal(SigV4Failure.SignatureMismatch, Verifier(SuiteTime).Verify(Vanilla(VanillaSignature.ToUpperInvariant())).Failure);
    }

    [Fact]
    public void A_session_token_with_a_long_term_access_key_is_an_unrecognized_client()
    {
        var request = Vanilla(VanillaSignature);
        var headers = new Dictionary<string, string>
        {
            ["host"] = "example.amazonaws.com", ["x-amz-date"] = "20150830T123600Z", ["authorization"] = request.Header("authorization")!,
            ["x-amz-security-token"] = "FwoGZXIvYXdzEXAMPLE",
        };
        Assert.Equal(SigV4Failure.UnknownAccessKey, Verifier(SuiteTime).Verify(new SigV4Request("GET", "/", "", headers.GetValueOrDefault, default)).Failure);
    }

    [Fact]
    public void Verifies_whatever_headers_the_client_signed()
    {
        // curl --aws-sigv4 also signs content-type; the verifier must use the client's list.
        var headers = new Dictionary<string, string> { ["host"] = "127.0.0.1:4599", ["content-type"] = "application/json", ["x-custom"] = "  a   b  " };
        var body = Encoding.UTF8.GetBytes("{}");
        var (date, auth) = SigV4Signer.Sign("POST", "/kms/xks/v1/keys/k1/encrypt", "", headers, body, AccessKey, Secret, "us-east-1", "service", SuiteTime);
        var all = new Dictionary<string, string>(headers) { ["x-amz-date"] = date, ["authorization"] = auth, ["unsigned"] = "x" };
        Assert.Contains("SignedHeaders=content-type;host;x-amz-date;x-custom,", auth);
        Assert.True(Verifier(SuiteTime).Verify(new SigV4Request("POST", "/kms/xks/v1/keys/k1/encrypt", "", all.GetValueOrDefault, body)).Succeeded);
        all["x-custom"] = "a b c";
        Assert.False(Verifier(SuiteTime).Verify(new SigV4Request("POST", "/kms/xks/v1/keys/k1/encrypt", "", all.GetValueOrDefault, body)).Succeeded);
    }

    [Fact]
    public void Canonical_forms_follow_the_specification()
    {
        Assert.Equal("/documents%2520and%2520settings/", SigV4Canonical.CanonicalUri("/documents%20and%20settings/"));
        Assert.Equal("/", SigV4Canonical.CanonicalUri("/./foo/.."));
        Assert.Equal("Param1=value1&Param2=value2", SigV4Canonical.CanonicalQuery("Param2=value2&Param1=value1"));
        Assert.Equal("a b c", SigV4Canonical.CanonicalHeaderValue("  a   b  c "));
        Assert.Equal("%C3%A9%20~", SigV4Canonical.UriEncode("é ~", true));
    }

    private static SigV4Verifier Verifier(DateTimeOffset now) =>
        new("service", r => r == "us-east-1", k => k == AccessKey ? Secret : null, new ManualClock(now));

    private static SigV4Request Vanilla(string signature)
    {
        var headers = new Dictionary<string, string>
        {
            ["host"] = "example.amazonaws.com",
            ["x-amz-date"] = SuiteTime.UtcDateTime.ToString(SigV4Canonical.DateFormat, CultureInfo.InvariantCulture),
            ["authorization"] = $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
        };
        return new SigV4Request("GET", "/", "", headers.GetValueOrDefault, default);
    }
}
