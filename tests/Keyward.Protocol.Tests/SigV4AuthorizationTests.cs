using Keyward.Protocol.SigV4;

namespace Keyward.Protocol.Tests;

/// <summary>The Authorization header's parser: what it keeps from a well-formed header, and AWS's message for each flaw.</summary>
public sealed class SigV4AuthorizationTests
{
    private const string Scope = "AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request";

    [Fact]
    public void Keeps_each_part_and_lower_cases_the_signed_headers()
    {
        Assert.True(SigV4Authorization.TryParse(
            $"  AWS4-HMAC-SHA256 Credential={Scope},  SignedHeaders=Host;;X-Amz-Date;x-custom-Header; , Signature=abc123  ",
            out var auth, out var error));
        Assert.Equal("", error);
        Assert.Equal(("AKIDEXAMPLE", "20150830", "us-east-1", "kms", "aws4_request"),
            (auth.AccessKeyId, auth.Date, auth.Region, auth.Service, auth.Terminator));
        Assert.Equal(["host", "x-amz-date", "x-custom-header"], auth.SignedHeaders);
        Assert.Equal("abc123", auth.Signature);
    }

    [Theory]
    [InlineData($"AWS4-HMAC-SHA256 Credential={Scope}, SignedHeaders=host, Signature=a,",
        "'' not a valid key=value pair (missing equal-sign) in Authorization header.")]
    [InlineData($"AWS4-HMAC-SHA256 Credential={Scope}, SignedHeaders=host, =a",
        "'=a' not a valid key=value pair (missing equal-sign) in Authorization header.")]
    [InlineData($"AWS4-HMAC-SHA256 Credential={Scope}, Credential={Scope}, SignedHeaders=host, Signature=a",
        $"'Credential={Scope}' is not a valid parameter of the Authorization header.")]
    [InlineData($"AWS4-HMAC-SHA256 Credential=, Credential={Scope}, SignedHeaders=host, Signature=a",
        $"'Credential={Scope}' is not a valid parameter of the Authorization header.")]
    [InlineData($"AWS4-HMAC-SHA256 Credential={Scope}, SignedHeaders=host, Signature=a b",
        "'Signature=a b' is not a valid parameter of the Authorization header.")]
    [InlineData($"AWS4-HMAC-SHA256 credential={Scope}, SignedHeaders=host, Signature=a",
        $"'credential={Scope}' is not a valid parameter of the Authorization header.")]
    [InlineData("AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
        "Authorization header requires 'SignedHeaders' parameter.")]
    [InlineData("AWS4-HMAC-SHA256",
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
        "Authorization header requires 'SignedHeaders' parameter.")]
    [InlineData($"AWS4-HMAC-SHA256 Credential={Scope}/extra, SignedHeaders=host, Signature=a",
        $"Credential should be scoped to a valid region, service and date: '{Scope}/extra'.")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID//us-east-1/kms/aws4_request, SignedHeaders=host, Signature=a",
        "Credential should be scoped to a valid region, service and date: 'AKID//us-east-1/kms/aws4_request'.")]
    [InlineData("AWS4-HMAC-SHA512 Credential=x", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.")]
    public void Refuses_with_AWS_message(string header, string message)
    {
        Assert.False(SigV4Authorization.TryParse(header, out _, out var error));
        Assert.Equal(message, error);
    }

    [Fact]
    public void Quotes_at_most_128_characters_of_what_it_refuses()
    {
        var long_ = new string('x', 300);
        Assert.False(SigV4Authorization.TryParse($"AWS4-HMAC-SHA256 Credential={Scope}, {long_}", out _, out var error));
        Assert.Equal($"'{new string('x', 128)}' not a valid key=value pair (missing equal-sign) in Authorization header.", error);
    }
}
