using System.Text;
using System.Text.Json;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>The wire contract, byte by byte: AWS JSON 1.1 shapes, error types and statuses, SigV4 failures.</summary>
[Collection(ServerCollection.Name)]
public sealed class WireTests(ServerFixture server) : IDisposable
{
    private readonly RawClient _raw = new(server.Url);

    private async Task<string> NewKeyAsync() =>
        (await _raw.SendAsync("CreateKey", "{}")).Body.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;

    [Fact]
    public async Task A_member_given_twice_is_refused_and_nothing_runs()
    {
        var decoy = await NewKeyAsync();
        var real = await NewKeyAsync();
        var reply = await _raw.SendAsync("ScheduleKeyDeletion", $$"""{"KeyId":"{{decoy}}","KeyId":"{{real}}","PendingWindowInDays":7}""");
        Assert.Equal((400, "SerializationException"), (reply.Status, reply.Type));
        foreach (var key in new[] { decoy, real })
            Assert.Equal("Enabled", (await _raw.SendAsync("DescribeKey", $$"""{"KeyId":"{{key}}"}""")).Body.GetProperty("KeyMetadata").GetProperty("KeyState").GetString());
        // Inside a map too: one encryption context key, two values.
        var context = await _raw.SendAsync("Encrypt", $$$"""{"KeyId":"{{{real}}}","Plaintext":"AQID","EncryptionContext":{"a":"1","a":"2"}}""");
        Assert.Equal((400, "SerializationException"), (context.Status, context.Type));
    }

    [Fact]
    public async Task An_operation_outside_the_signature_is_refused_and_does_not_run()
    {
        var key = await NewKeyAsync();
        // Signed over host, content-type and the date only; the operation is added to the signed request afterwards.
        var reply = await _raw.SendAsync(null, Encoding.UTF8.GetBytes($$"""{"KeyId":"{{key}}","PendingWindowInDays":7}"""),
            tamper: r => r.Headers.TryAddWithoutValidation("X-Amz-Target", "TrentService.ScheduleKeyDeletion"));
        Assert.Equal((400, "IncompleteSignatureException"), (reply.Status, reply.Type));
        var described = await _raw.SendAsync("DescribeKey", $$"""{"KeyId":"{{key}}"}""");
        Assert.Equal("Enabled", described.Body.GetProperty("KeyMetadata").GetProperty("KeyState").GetString());

        // A session token on a long-term access key, and a second Authorization header, are refused too.
        var token = await _raw.SendAsync("ListKeys", "{}", tamper: r => r.Headers.TryAddWithoutValidation("X-Amz-Security-Token", "IQoJb3JpZ2luX2VjEXAMPLE"));
        Assert.Equal((400, "UnrecognizedClientException"), (token.Status, token.Type));
        var twice = await _raw.SendAsync("ListKeys", "{}", tamper: r =>
            r.Headers.TryAddWithoutValidation("Authorization", r.Headers.GetValues("Authorization").Single()));
        Assert.Equal((400, "IncompleteSignatureException"), (twice.Status, twice.Type));
    }

    [Fact]
    public async Task Every_answer_carries_a_request_id_and_the_json_content_type()
    {
        foreach (var signed in new[] { true, false })
        {
            string? requestId = null, contentType = null;
            await _raw.SendAsync("ListKeys", "{}", sign: signed, inspect: response =>
            {
                requestId = response.Headers.TryGetValues("x-amzn-RequestId", out var v) ? v.Single() : null;
                contentType = response.Content.Headers.ContentType?.MediaType;
            });
            Assert.Matches("^[0-9a-f-]{36}$", requestId);
            Assert.Equal("application/x-amz-json-1.1", contentType);
        }
    }

    [Fact]
    public async Task Success_is_200_json_with_epoch_second_timestamps()
    {
        var reply = await _raw.SendAsync("CreateKey", "{\"Description\":\"wire\"}");
        Assert.Equal(200, reply.Status);
        Assert.Equal(JsonValueKind.Number, reply.Body.GetProperty("KeyMetadata").GetProperty("CreationDate").ValueKind);
        Assert.DoesNotContain("DeletionDate", reply.Raw);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("  {\"Limit\": 5, \"Unknown\": [1, {\"x\": null}]} ")]
    public async Task Empty_bodies_and_unknown_members_are_accepted(string body)
    {
        var reply = await _raw.SendAsync("ListKeys", body);
        Assert.Equal(200, reply.Status);
        Assert.Equal(JsonValueKind.Array, reply.Body.GetProperty("Keys").ValueKind);
    }

    [Theory]
    [InlineData("{", "SerializationException")]
    [InlineData("[]", "SerializationException")]
    [InlineData("null", "SerializationException")]
    [InlineData("\"text\"", "SerializationException")]
    [InlineData("{\"KeyId\": 42}", "SerializationException")]
    [InlineData("{\"KeyId\": [\"a\"]}", "SerializationException")]
    [InlineData("{\"KeyId\": \"k\", \"GrantTokens\": \"t\"}", "SerializationException")]
    [InlineData("{\"KeyId\": \"k\"} trailing", "SerializationException")]
    [InlineData("{\"KeyId\": null}", "ValidationException")]
    [InlineData("{\"KeyId\": \"\"}", "ValidationException")]
    public async Task Bad_json_is_serialization_and_broken_constraints_are_validation(string body, string type)
    {
        var reply = await _raw.SendAsync("DescribeKey", body);
        Assert.Equal(400, reply.Status);
        Assert.Equal(type, reply.Type);
    }

    [Fact]
    public async Task Bad_base64_is_a_serialization_error()
    {
        var key = await NewKeyAsync();
        var reply = await _raw.SendAsync("Encrypt", $"{{\"KeyId\":\"{key}\",\"Plaintext\":\"not*base64\"}}");
        Assert.Equal(400, reply.Status);
        Assert.Equal("SerializationException", reply.Type);
        var wrongType = await _raw.SendAsync("Encrypt", $"{{\"KeyId\":\"{key}\",\"Plaintext\":123}}");
        Assert.Equal("SerializationException", wrongType.Type);
        var ctx = await _raw.SendAsync("Encrypt", $"{{\"KeyId\":\"{key}\",\"Plaintext\":\"AQ==\",\"EncryptionContext\":{{\"a\":1}}}}");
        Assert.Equal("SerializationException", ctx.Type);
        var nullValue = await _raw.SendAsync("Encrypt", $"{{\"KeyId\":\"{key}\",\"Plaintext\":\"AQ==\",\"EncryptionContext\":{{\"a\":null}}}}");
        Assert.Equal("ValidationException", nullValue.Type);
    }

    [Fact]
    public async Task Missing_required_members_name_each_one()
    {
        var reply = await _raw.SendAsync("Encrypt", "{}");
        Assert.Equal("ValidationException", reply.Type);
        Assert.Equal("2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; " +
                     "Value at 'plaintext' failed to satisfy constraint: Member must not be null", reply.Message);
    }

    [Fact]
    public async Task Out_of_range_values_are_validation_errors()
    {
        var reply = await _raw.SendAsync("ListKeys", "{\"Limit\": 1001}");
        Assert.Equal("ValidationException", reply.Type);
        Assert.Equal("1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000", reply.Message);
        var zero = await _raw.SendAsync("GenerateRandom", "{\"NumberOfBytes\": 0}");
        Assert.Equal("ValidationException", zero.Type);
        var huge = await _raw.SendAsync("GenerateRandom", "{\"NumberOfBytes\": 99999999999}");
        Assert.Equal("SerializationException", huge.Type);
    }

    [Theory]
    [InlineData("NoSuchOperation")]
    [InlineData("encrypt")]
    [InlineData(null)]
    public async Task Unknown_operations_are_UnknownOperationException(string? operation)
    {
        var reply = await _raw.SendAsync(operation, "{}"u8.ToArray());
        Assert.Equal(400, reply.Status);
        Assert.Equal("UnknownOperationException", reply.Type);
    }

    [Fact]
    public async Task The_multi_region_operations_check_their_members_like_the_rest()
    {
        foreach (var operation in new[] { "ReplicateKey", "UpdatePrimaryRegion" })
        {
            var reply = await _raw.SendAsync(operation, "{}");
            Assert.Equal(400, reply.Status);
            Assert.Equal("ValidationException", reply.Type);
        }
        var bad = await _raw.SendAsync("ReplicateKey", "{\"KeyId\":\"mrk-1234abcd12ab34cd56ef1234567890ab\",\"ReplicaRegion\":\"Mars\"}");
        Assert.Equal("ValidationException", bad.Type);
        Assert.Contains("replicaRegion", bad.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_bodies_are_refused_before_parsing()
    {
        var body = new byte[(1 << 20) + 1];
        Array.Fill(body, (byte)' ');
        var reply = await _raw.SendAsync("ListKeys", body);
        Assert.Equal(413, reply.Status);
        Assert.Equal("RequestEntityTooLargeException", reply.Type);
    }

    [Fact]
    public async Task Oversized_chunked_bodies_are_refused_while_reading()
    {
        using var http = new HttpClient { BaseAddress = server.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/")
        {
            // No Content-Length: the server must stop reading at its limit, not buffer everything.
            Content = new StreamContent(new UnboundedStream(4 << 20)),
        };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "TrentService.ListKeys");
        using var response = await http.SendAsync(request);
        Assert.Equal(413, (int)response.StatusCode);
        Assert.Contains("RequestEntityTooLargeException", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_malformed_chunked_body_is_a_client_error()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Url.Host, server.Url.Port);
        var stream = tcp.GetStream();
        var request = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var buffer = new byte[4096];
        var n = await stream.ReadAsync(buffer);
        var head = System.Text.Encoding.ASCII.GetString(buffer, 0, n);
        Assert.StartsWith("HTTP/1.1 400", head);
        Assert.Contains("SerializationException", head);
    }

    [Fact]
    public async Task Unsigned_requests_of_any_method_are_refused()
    {
        using var http = new HttpClient { BaseAddress = server.Url };
        using var response = await http.GetAsync("/");
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("MissingAuthenticationTokenException", await response.Content.ReadAsStringAsync());
    }

    private sealed class UnboundedStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Fill(buffer, (byte)' ', offset, n);
            _position += n;
            return n;
        }
    }

    [Fact]
    public async Task Missing_authorization_is_MissingAuthenticationToken()
    {
        var reply = await _raw.SendAsync("ListKeys", "{}", sign: false);
        Assert.Equal(400, reply.Status);
        Assert.Equal("MissingAuthenticationTokenException", reply.Type);
        Assert.Equal("Missing Authentication Token", reply.Message);
    }

    [Fact]
    public async Task Incomplete_authorization_is_IncompleteSignature()
    {
        var reply = await _raw.SendAsync("ListKeys", "{}", tamper: r =>
        {
            r.Headers.Remove("Authorization");
            r.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAKEYWARDTEST00001/20260101/us-east-1/kms/aws4_request");
        });
        Assert.Equal("IncompleteSignatureException", reply.Type);
        Assert.Contains("'Signature'", reply.Message);
        Assert.Contains("'SignedHeaders'", reply.Message);
    }

    [Fact]
    public async Task Unknown_access_keys_are_UnrecognizedClient()
    {
        var reply = await _raw.SendAsync("ListKeys", "{}", accessKeyId: "AKIAUNKNOWN000000000");
        Assert.Equal("UnrecognizedClientException", reply.Type);
        Assert.Equal("The security token included in the request is invalid.", reply.Message);
    }

    [Fact]
    public async Task Wrong_secrets_and_altered_requests_are_InvalidSignature()
    {
        var wrongSecret = await _raw.SendAsync("ListKeys", "{}", secret: "not-the-secret");
        Assert.Equal("InvalidSignatureException", wrongSecret.Type);
        Assert.StartsWith("The request signature we calculated does not match the signature you provided.", wrongSecret.Message);

        // Sign one operation, send another: X-Amz-Target is a signed header.
        var swapped = await _raw.SendAsync("ListKeys", "{}", tamper: r =>
        {
            r.Headers.Remove("X-Amz-Target");
            r.Headers.TryAddWithoutValidation("X-Amz-Target", "TrentService.CreateKey");
        });
        Assert.Equal("InvalidSignatureException", swapped.Type);
    }

    [Fact]
    public async Task Requests_outside_the_five_minute_window_are_expired()
    {
        var old = await _raw.SendAsync("ListKeys", "{}", signedAt: DateTimeOffset.UtcNow.AddMinutes(-6));
        Assert.Equal("InvalidSignatureException", old.Type);
        Assert.StartsWith("Signature expired:", old.Message);
        var future = await _raw.SendAsync("ListKeys", "{}", signedAt: DateTimeOffset.UtcNow.AddMinutes(6));
        Assert.StartsWith("Signature not yet current:", future.Message);
        var fine = await _raw.SendAsync("ListKeys", "{}", signedAt: DateTimeOffset.UtcNow.AddMinutes(-4));
        Assert.Equal(200, fine.Status);
    }

    [Fact]
    public async Task Errors_never_echo_plaintext_and_decryption_failures_say_nothing()
    {
        var key = await NewKeyAsync();
        const string secret = "U0VDUkVULVNFQ1JFVC1TRUNSRVQ="; // base64 of a recognisable plaintext
        var big = Convert.ToBase64String(new byte[4097]);
        var tooBig = await _raw.SendAsync("Encrypt", $"{{\"KeyId\":\"{key}\",\"Plaintext\":\"{big}\"}}");
        Assert.DoesNotContain(big[..40], tooBig.Raw);
        var ok = await _raw.SendAsync("Encrypt", $"{{\"KeyId\":\"{key}\",\"Plaintext\":\"{secret}\",\"EncryptionContext\":{{\"a\":\"b\"}}}}");
        var blob = ok.Body.GetProperty("CiphertextBlob").GetString();
        var bad = await _raw.SendAsync("Decrypt", $"{{\"CiphertextBlob\":\"{blob}\"}}");
        Assert.Equal(400, bad.Status);
        Assert.Equal("{\"__type\":\"InvalidCiphertextException\"}", bad.Raw);
    }

    [Fact]
    public async Task GenerateDataKeyWithoutPlaintext_sends_no_plaintext()
    {
        var key = await NewKeyAsync();
        var reply = await _raw.SendAsync("GenerateDataKeyWithoutPlaintext", $"{{\"KeyId\":\"{key}\",\"KeySpec\":\"AES_256\"}}");
        Assert.Equal(200, reply.Status);
        Assert.False(reply.Body.TryGetProperty("Plaintext", out _));
        Assert.True(reply.Body.TryGetProperty("CiphertextBlob", out _));
    }

    public void Dispose() => _raw.Dispose();
}
