using System.Text.Json;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Json;
using Keyward.Protocol.Operations;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Tests;

public sealed class ProtocolTests
{
    [Theory]
    [InlineData("TrentService.Encrypt", "Encrypt")]
    [InlineData("TrentService.GenerateDataKeyWithoutPlaintext", "GenerateDataKeyWithoutPlaintext")]
    [InlineData("TrentService.encrypt", null)]
    [InlineData("TrentService.Encrypt ", null)]
    [InlineData("TrentService.1", null)]
    [InlineData("KMS.Encrypt", null)]
    [InlineData("TrentService.", null)]
    [InlineData("", null)]
    public void Target_parsing_is_exact(string target, string? expected)
    {
        Assert.Equal(expected is not null, KmsTarget.TryParse(target, out var op));
        if (expected is not null) Assert.Equal(expected, op.ToString());
    }

    [Fact]
    public void Every_operation_name_parses_to_itself()
    {
        foreach (var op in Enum.GetValues<KmsOperation>())
        {
            Assert.True(KmsTarget.TryParse("TrentService." + op, out var parsed));
            Assert.Equal(op, parsed);
        }
        Assert.Equal(56, Enum.GetValues<KmsOperation>().Length); // the 2014-11-01 model with Encapsulate and Decapsulate
    }

    [Fact]
    public void Every_error_code_has_an_aws_name_and_a_status()
    {
        foreach (var code in Enum.GetValues<KmsErrorCode>())
        {
            Assert.Equal(code.ToString(), KmsErrors.TypeName(code));
            Assert.InRange(KmsErrors.HttpStatus(code), 400, 503);
        }
        Assert.Equal(400, KmsErrors.HttpStatus(KmsErrorCode.NotFoundException));
        Assert.Equal(500, KmsErrors.HttpStatus(KmsErrorCode.KMSInternalException));
    }

    [Fact]
    public void Timestamps_are_epoch_seconds_with_milliseconds()
    {
        var response = new ScheduleKeyDeletionResponse { DeletionDate = DateTimeOffset.FromUnixTimeMilliseconds(1700000000123) };
        var json = JsonSerializer.Serialize(response, KmsJsonContext.Default.ScheduleKeyDeletionResponse);
        Assert.Equal("{\"DeletionDate\":1700000000.123}", json);
    }

    [Fact]
    public void Blobs_are_base64_and_unknown_members_are_ignored()
    {
        var request = JsonSerializer.Deserialize("{\"KeyId\":\"k\",\"Plaintext\":\"AQID\",\"Unknown\":{\"x\":[1]}}"u8, KmsJsonContext.Default.EncryptRequest)!;
        Assert.Equal(new byte[] { 1, 2, 3 }, request.Plaintext);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{\"Plaintext\":\"***\"}"u8, KmsJsonContext.Default.EncryptRequest));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{\"KeyId\":5}"u8, KmsJsonContext.Default.EncryptRequest));
    }

    [Fact]
    public void Member_names_are_case_sensitive_like_aws()
    {
        var request = JsonSerializer.Deserialize("{\"keyid\":\"k\"}"u8, KmsJsonContext.Default.DescribeKeyRequest)!;
        Assert.Null(request.KeyId);
    }

    [Fact]
    public void Validation_errors_read_like_aws()
    {
        var errors = new ValidationErrors();
        new GenerateDataKeyRequest { NumberOfBytes = 1025 }.Validate(errors);
        var e = Assert.Throws<KmsException>(errors.ThrowIfAny);
        Assert.Equal(KmsErrorCode.ValidationException, e.Code);
        Assert.Equal("2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; " +
                     "Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024", e.Message);
    }

    [Fact]
    public void Plaintext_limits_do_not_echo_the_value()
    {
        var errors = new ValidationErrors();
        new EncryptRequest { KeyId = "k", Plaintext = new byte[4097] }.Validate(errors);
        var e = Assert.Throws<KmsException>(errors.ThrowIfAny);
        Assert.Equal("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096", e.Message);
    }

    [Fact]
    public void Enum_members_list_the_allowed_values()
    {
        var errors = new ValidationErrors();
        new GenerateDataKeyRequest { KeyId = "k", KeySpec = "AES_512" }.Validate(errors);
        var e = Assert.Throws<KmsException>(errors.ThrowIfAny);
        Assert.Contains("Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", e.Message);
    }
}
