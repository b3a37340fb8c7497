using System.Text;
using System.Text.Json;
using Keyward.Core.Audit;
using Keyward.Core.Identity;
using Keyward.Protocol;
using Keyward.Server.Audit;
using Keyward.Storage.Sqlite;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// The event the recorder writes to the journal, for request bodies the server may receive: which members reach
/// requestParameters, and that a body which is not a valid JSON object leaves them null rather than failing the record.
/// </summary>
public sealed class AuditRecorderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-recorder").FullName;

    private JsonElement Record(string body, string? error = null)
    {
        var journal = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        using var storage = new SqliteKmsStorage(Path.Combine(_dir, "k.db"));
        var log = new AuditLog(storage, new AuditJournal(journal));
        var caller = new Caller(new Principal("111122223333", "arn:aws:iam::111122223333:user/app"), KmsOperation.Encrypt)
        {
            SourceIp = "127.0.0.1", UserAgent = "test", AccessKeyId = "AKIATEST",
        };
        caller.Audit.Touch("arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab");
        new AuditRecorder(log, "us-east-1").Record(caller, "request-1", Encoding.UTF8.GetBytes(body), error, error is null ? null : "it failed");
        // Read back as the indexer reads it (another instance finds where the data ends).
        using var reader = new AuditJournal(journal);
        var entry = Assert.Single(reader.Read(0, 10).Events);
        Assert.Equal(("Encrypt", "request-1", "arn:aws:iam::111122223333:user/app"), (entry.EventName, entry.RequestId, entry.PrincipalArn));
        Assert.Equal(error is null, entry.UsedKey);
        var e = JsonDocument.Parse(CloudTrailRenderer.Render(Encoding.UTF8.GetString(entry.Json.Span))).RootElement.Clone();
        Assert.Equal(entry.EventId, e.GetProperty("eventID").GetString());
        Assert.Equal("444455556666", e.GetProperty("recipientAccountId").GetString());
        Assert.Equal("444455556666", e.GetProperty("resources")[0].GetProperty("accountId").GetString());
        return e.GetProperty("requestParameters");
    }

    /// <summary>Events stored before the compact record (as CloudTrail JSON) are shown as they were stored.</summary>
    [Fact]
    public void An_event_stored_as_cloudtrail_json_is_shown_as_stored()
    {
        const string stored = """{"eventVersion":"1.11","eventName":"Encrypt","requestParameters":{"keyId":"k1"},"eventID":"e-1"}""";
        Assert.Equal(stored, CloudTrailRenderer.Render(stored));
    }

    /// <summary>Strings that are not plain ASCII (quotes, backslashes, control characters, non-ASCII) are escaped, and come back as they were.</summary>
    [Fact]
    public void Strings_that_need_escaping_are_escaped_in_the_record()
    {
        var journal = Path.Combine(_dir, "escaped");
        using var storage = new SqliteKmsStorage(Path.Combine(_dir, "k.db"));
        var log = new AuditLog(storage, new AuditJournal(journal));
        const string agent = "agent \"quoted\" back\\slash tab\t bell\u0007 é 😀 <html>";
        var caller = new Caller(new Principal("111122223333", "arn:aws:iam::111122223333:user/app"), KmsOperation.DescribeKey) { SourceIp = "::1", UserAgent = agent };
        new AuditRecorder(log, "us-east-1").Record(caller, "request-3", "{}"u8.ToArray(), "NotFoundException", "Key 'a\"b' does not exist");
        using var reader = new AuditJournal(journal);
        var stored = Encoding.UTF8.GetString(Assert.Single(reader.Read(0, 10).Events).Json.Span);
        Assert.DoesNotContain('\t', stored);
        var e = JsonDocument.Parse(CloudTrailRenderer.Render(stored)).RootElement;
        Assert.Equal(agent, e.GetProperty("userAgent").GetString());
        Assert.Equal("Key 'a\"b' does not exist", e.GetProperty("errorMessage").GetString());
        Assert.Equal("::1", e.GetProperty("sourceIPAddress").GetString());
    }

    /// <summary>The compact record keeps only what CloudTrail cannot derive: far smaller than the CloudTrail JSON it renders to.</summary>
    [Fact]
    public void The_stored_record_is_compact_and_renders_to_the_cloudtrail_fields()
    {
        var journal = Path.Combine(_dir, "compact");
        using var storage = new SqliteKmsStorage(Path.Combine(_dir, "k.db"));
        var log = new AuditLog(storage, new AuditJournal(journal));
        var caller = new Caller(new Principal("111122223333", "arn:aws:iam::111122223333:root"), KmsOperation.Decrypt) { SourceIp = "10.0.0.1", UserAgent = "ua" };
        caller.Audit.Touch("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");
        new AuditRecorder(log, "eu-west-1").Record(caller, "request-2", """{"KeyId":"k"}"""u8.ToArray(), "InvalidCiphertextException", "");
        using var reader = new AuditJournal(journal);
        var stored = Encoding.UTF8.GetString(Assert.Single(reader.Read(0, 10).Events).Json.Span);
        var rendered = CloudTrailRenderer.Render(stored);
        Assert.True(stored.Length * 2 < rendered.Length, $"{stored.Length} bytes stored for {rendered.Length} rendered");
        var e = JsonDocument.Parse(rendered).RootElement;
        Assert.Equal(("Root", "111122223333", "eu-west-1", "10.0.0.1"), (e.GetProperty("userIdentity").GetProperty("type").GetString(),
            e.GetProperty("userIdentity").GetProperty("principalId").GetString(), e.GetProperty("awsRegion").GetString(), e.GetProperty("sourceIPAddress").GetString()));
        Assert.Equal(("Decrypt", "request-2", "InvalidCiphertextException", true), (e.GetProperty("eventName").GetString(), e.GetProperty("requestID").GetString(),
            e.GetProperty("errorCode").GetString(), e.GetProperty("readOnly").GetBoolean()));
        Assert.Equal("AWS::KMS::Key", e.GetProperty("resources")[0].GetProperty("type").GetString());
        Assert.Equal("k", e.GetProperty("requestParameters").GetProperty("keyId").GetString());
    }

    [Fact]
    public void Allowlisted_members_are_copied_camelcased_and_the_plaintext_is_not()
    {
        var p = Record("""{ "KeyId" : "alias/a\"b", "Plaintext": "c2VjcmV0", "EncryptionContext": {"k": ["x", {"y": 1}]}, "GrantTokens": ["tok"] }""");
        Assert.Equal("alias/a\"b", p.GetProperty("keyId").GetString());
        Assert.Equal(JsonValueKind.Array, p.GetProperty("encryptionContext").GetProperty("k").ValueKind);
        Assert.False(p.TryGetProperty("plaintext", out _));
        Assert.False(p.TryGetProperty("grantTokens", out _));
        Assert.DoesNotContain("c2VjcmV0", p.GetRawText());
    }

    [Fact]
    public void An_escaped_member_name_is_recognised_as_the_deserializer_would()
    {
        var p = Record("""{"K\u0065yId":"k1","Pl\u0061intext":"c2VjcmV0"}""");
        Assert.Equal("k1", p.GetProperty("keyId").GetString());
        Assert.DoesNotContain("c2VjcmV0", p.GetRawText());
    }

    [Theory]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("""{"KeyId":"k1" """)]
    [InlineData("""{"KeyId":"k1"} trailing""")]
    [InlineData("""{"KeyId":"\u12"}""")]
    [InlineData("not json")]
    public void A_body_that_is_not_a_valid_object_gives_null_parameters(string body)
    {
        Assert.Equal(JsonValueKind.Null, Record(body, "SerializationException").ValueKind);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
