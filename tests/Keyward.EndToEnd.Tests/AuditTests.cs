using System.Text;
using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// The audit log through a real server: every authenticated call (allowed or denied, succeeded or failed)
/// becomes exactly one CloudTrail-format event with no plaintext or key material in it, read back with
/// `keyward audit query`; `keyward audit verify` finds an edited, a removed and a reordered event (tampered
/// with by Python's sqlite3, outside Keyward); a database that refuses the audit write refuses the request;
/// GetKeyLastUsage answers from the same records.
/// </summary>
public sealed class AuditTests : IAsyncLifetime
{
    private const string Secret = "TOP-SECRET-PLAINTEXT-4711";
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-audit-ids").FullName;
    private readonly ServerFixture _server;

    public AuditTests() => _server = new ServerFixture { IdentitiesFile = TestIdentities.Write(_dir), DeleteDataDir = false };

    public Task InitializeAsync() => _server.InitializeAsync();

    public async Task DisposeAsync()
    {
        try { await _server.DisposeAsync(); } catch (ObjectDisposedException) { }
        try { Directory.Delete(_server.DataDir, recursive: true); } catch (IOException) { }
        Directory.Delete(_dir, recursive: true);
    }

    private static string Python => Environment.GetEnvironmentVariable("KEYWARD_PYTHON") is { Length: > 0 } p ? p : "python3";

    private string Database => Path.Combine(_server.DataDir, "keyward.db");

    private async Task<(int Code, string Stdout, string Stderr)> Keyward(params string[] args) =>
        await ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), .. args]);

    private async Task<List<JsonElement>> EventsAsync(params string[] filter)
    {
        // The journal reaches the database within milliseconds; wait for it rather than race it.
        await _server.Host.FlushAuditAsync();
        var (code, stdout, stderr) = await Keyward(["audit", "query", "--data-dir", _server.DataDir, .. filter]);
        Assert.True(code == 0, stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    /// <summary>Runs SQL against a database file with Python's sqlite3 module (an outside party editing the log).</summary>
    private static async Task SqlAsync(string database, string sql)
    {
        var (code, _, stderr) = await ExternalProcess.RunAsync(Python, ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit(); c.close()", database, sql]);
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public async Task Every_call_is_one_event_with_the_right_fields_and_no_secrets()
    {
        using var root = _server.Client();
        using var app = TestIdentities.Client(_server, "app");
        var ids = new List<(string RequestId, string Name, string? Error)>();
        var key = await root.CreateKeyAsync(new CreateKeyRequest { Description = "audited" });
        ids.Add((key.ResponseMetadata.RequestId, "CreateKey", null));
        var context = new Dictionary<string, string> { ["purpose"] = "audit-test" };
        var encrypted = await root.EncryptAsync(new EncryptRequest { KeyId = key.KeyMetadata.KeyId, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes(Secret)), EncryptionContext = context });
        ids.Add((encrypted.ResponseMetadata.RequestId, "Encrypt", null));
        var decrypted = await root.DecryptAsync(new DecryptRequest { CiphertextBlob = encrypted.CiphertextBlob, EncryptionContext = context });
        ids.Add((decrypted.ResponseMetadata.RequestId, "Decrypt", null));
        var dataKey = await root.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyMetadata.KeyId, KeySpec = DataKeySpec.AES_256 });
        ids.Add((dataKey.ResponseMetadata.RequestId, "GenerateDataKey", null));
        var listed = await root.ListKeysAsync(new ListKeysRequest());
        ids.Add((listed.ResponseMetadata.RequestId, "ListKeys", null));
        var denied = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            app.EncryptAsync(new EncryptRequest { KeyId = key.KeyMetadata.Arn, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes(Secret)) }));
        ids.Add((denied.RequestId, "Encrypt", "AccessDeniedException"));
        var missing = await Assert.ThrowsAsync<NotFoundException>(() => root.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "11111111-2222-4333-8444-555555555555" }));
        ids.Add((missing.RequestId, "DescribeKey", "NotFoundException"));

        var events = await EventsAsync();
        var all = string.Join("\n", events.Select(e => e.GetRawText()));
        foreach (var (requestId, name, error) in ids)
        {
            var e = Assert.Single(events, x => x.GetProperty("requestID").GetString() == requestId);
            Assert.Equal(name, e.GetProperty("eventName").GetString());
            Assert.Equal("kms.amazonaws.com", e.GetProperty("eventSource").GetString());
            Assert.Equal(ServerFixture.Region, e.GetProperty("awsRegion").GetString());
            Assert.Equal("AwsApiCall", e.GetProperty("eventType").GetString());
            Assert.Equal("127.0.0.1", e.GetProperty("sourceIPAddress").GetString());
            Assert.Contains("aws-sdk-dotnet", e.GetProperty("userAgent").GetString());
            Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", e.GetProperty("eventTime").GetString());
            Assert.True(Guid.TryParse(e.GetProperty("eventID").GetString(), out _));
            Assert.Equal(JsonValueKind.Null, e.GetProperty("responseElements").ValueKind);
            if (error is null) Assert.False(e.TryGetProperty("errorCode", out _));
            else Assert.Equal(error, e.GetProperty("errorCode").GetString());
            foreach (var field in new[] { "eventVersion", "userIdentity", "requestParameters", "readOnly", "resources", "recipientAccountId" })
                Assert.True(e.TryGetProperty(field, out _), $"{name} lacks {field}");
        }
        var encryptEvent = events.Single(e => e.GetProperty("requestID").GetString() == encrypted.ResponseMetadata.RequestId);
        Assert.Equal(key.KeyMetadata.KeyId, encryptEvent.GetProperty("requestParameters").GetProperty("keyId").GetString());
        Assert.Equal("audit-test", encryptEvent.GetProperty("requestParameters").GetProperty("encryptionContext").GetProperty("purpose").GetString());
        Assert.Equal(key.KeyMetadata.Arn, encryptEvent.GetProperty("resources")[0].GetProperty("ARN").GetString());
        Assert.True(encryptEvent.GetProperty("readOnly").GetBoolean());
        Assert.Equal("Root", encryptEvent.GetProperty("userIdentity").GetProperty("type").GetString());
        Assert.Equal(ServerFixture.AccessKeyId, encryptEvent.GetProperty("userIdentity").GetProperty("accessKeyId").GetString());
        var deniedEvent = events.Single(e => e.GetProperty("requestID").GetString() == denied.RequestId);
        Assert.Equal(TestIdentities.Arn("app"), deniedEvent.GetProperty("userIdentity").GetProperty("arn").GetString());
        Assert.Equal("IAMUser", deniedEvent.GetProperty("userIdentity").GetProperty("type").GetString());
        Assert.Contains("is not authorized to perform: kms:Encrypt", deniedEvent.GetProperty("errorMessage").GetString());
        Assert.Equal(key.KeyMetadata.Arn, deniedEvent.GetProperty("resources")[0].GetProperty("ARN").GetString());
        Assert.False(events.Single(e => e.GetProperty("requestID").GetString() == key.ResponseMetadata.RequestId).GetProperty("readOnly").GetBoolean());

        // No plaintext, ciphertext or data key, in the clear or in base64, anywhere in the log.
        Assert.DoesNotContain(Secret, all);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)), all);
        Assert.DoesNotContain(Convert.ToBase64String(dataKey.Plaintext.ToArray()), all);
        Assert.DoesNotContain(Convert.ToBase64String(encrypted.CiphertextBlob.ToArray()), all);
        Assert.DoesNotContain("app-secret-0123456789abcdef", all);

        // The query filters.
        Assert.All(await EventsAsync("--event", "Encrypt"), e => Assert.Equal("Encrypt", e.GetProperty("eventName").GetString()));
        Assert.Equal(2, (await EventsAsync("--event", "Encrypt", "--key", key.KeyMetadata.KeyId)).Count);
        Assert.Single(await EventsAsync("--principal", TestIdentities.Arn("app")));
        Assert.Empty(await EventsAsync("--since", DateTimeOffset.UtcNow.AddHours(1).ToString("O")));
        var verify = await Keyward("audit", "verify", "--data-dir", _server.DataDir);
        Assert.True(verify.Code == 0, verify.Stdout + verify.Stderr);
        Assert.Contains("the audit log is intact", verify.Stdout);
    }

    [Fact]
    public async Task Verify_names_the_edited_removed_or_reordered_event()
    {
        using (var root = _server.Client())
        {
            var key = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            for (var i = 0; i < 6; i++) await root.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([1]) });
        }
        await _server.DisposeAsync();
        // Each edit on its own copy, and what verify must say about it: the JSON, the chain, and every column a query reads.
        var edits = new (string Sql, string Expected)[]
        {
            ("UPDATE audit_events SET json = CAST(replace(CAST(json AS TEXT), '\"name\":\"Encrypt\"', '\"name\":\"Decrypt\"') AS BLOB) WHERE seq = 4;",
                "event 4 was modified"),
            ("DELETE FROM audit_events WHERE seq = 3;", "event 3 is missing"),
            ("UPDATE audit_events SET seq = -5 WHERE seq = 5; UPDATE audit_events SET seq = 5 WHERE seq = 6; UPDATE audit_events SET seq = 6 WHERE seq = -5;",
                "event 5 does not follow event 4"),
            ("UPDATE audit_events SET principal_arn = replace(principal_arn, ':root', ':rooT') WHERE seq = 2;",
                "event 2 was modified (its principal_arn column"),
            ("UPDATE audit_events SET event_name = 'Decrypt' WHERE seq = 3;", "event 3 was modified (its event_name column"),
            ("UPDATE audit_events SET key_arns = NULL WHERE seq = 5;", "event 5 was modified (its key_arns column"),
            ("UPDATE audit_events SET event_time = event_time + 1 WHERE seq = 6;", "event 6 was modified (its event_time column"),
        };
        var copies = edits.Select(_ => Directory.CreateTempSubdirectory("keyward-tamper").FullName).ToArray();
        try
        {
            foreach (var c in copies) File.Copy(Database, Path.Combine(c, "keyward.db"));
            for (var i = 0; i < edits.Length; i++) await SqlAsync(Path.Combine(copies[i], "keyward.db"), edits[i].Sql);
            var expected = edits.Select(e => e.Expected).ToArray();
            for (var i = 0; i < edits.Length; i++)
            {
                var (code, stdout, stderr) = await Keyward("audit", "verify", "--data-dir", copies[i]);
                Assert.Equal(1, code);
                Assert.Contains(expected[i], stdout + stderr);
            }
            var intact = await Keyward("audit", "verify", "--data-dir", _server.DataDir);
            Assert.Equal(0, intact.Code);
            Assert.Contains("7 events", intact.Stdout);
        }
        finally { foreach (var c in copies) Directory.Delete(c, recursive: true); }
    }

    [Fact]
    public async Task A_request_whose_audit_record_cannot_be_written_is_refused()
    {
        using var root = _server.Client();
        var key = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var journal = Path.Combine(_server.DataDir, "audit.journal");
        // The journal cannot be written (a volume gone read-only, a full disk): every request is refused.
        File.Move(journal, journal + ".aside");
        Directory.CreateDirectory(journal);
        using var raw = new RawClient(_server.Url);
        try
        {
            // The journal's path is checked about once a second: wait until the server has noticed (a DescribeKey of no
            // key is audited under no key, so the probes leave the key's events alone).
            await Eventually.WaitFor(async () => (await raw.SendAsync("DescribeKey", """{"KeyId":"alias/none"}""")).Type == "KMSInternalException");
            var reply = await raw.SendAsync("Encrypt", $$"""{"KeyId":"{{key}}","Plaintext":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret))}}"}""");
            Assert.Equal(500, reply.Status);
            Assert.Equal("KMSInternalException", reply.Type);
            Assert.DoesNotContain("CiphertextBlob", reply.Raw);
            Assert.Equal("KMSInternalException", (await raw.SendAsync("DescribeKey", """{"KeyId":"alias/none"}""")).Type);
        }
        finally
        {
            Directory.Delete(journal);
            File.Move(journal + ".aside", journal);
        }
        Assert.Equal(200, (await raw.SendAsync("Encrypt", $$"""{"KeyId":"{{key}}","Plaintext":"AQID"}""")).Status);
        Assert.Equal(2, (await EventsAsync("--key", key)).Count); // CreateKey and the last Encrypt; nothing of the refused ones
    }

    [Fact]
    public async Task Events_wait_in_the_journal_while_the_database_refuses_them()
    {
        using var root = _server.Client();
        var key = (await root.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        await _server.Host.FlushAuditAsync();
        // The database refuses audit rows: requests still succeed (their events are in the journal)…
        await SqlAsync(Database, "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit storage refused'); END;");
        for (var i = 0; i < 5; i++) await root.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream([1]) });
        await Task.Delay(300);
        await SqlAsync(Database, "DROP TRIGGER audit_refused;");
        // …and reach the chain, once each and in order, when it accepts them again.
        var events = await EventsAsync("--key", key);
        Assert.Equal(["CreateKey", "Encrypt", "Encrypt", "Encrypt", "Encrypt", "Encrypt"], events.Select(e => e.GetProperty("eventName").GetString()));
        Assert.Equal(events.Count, events.Select(e => e.GetProperty("eventID").GetString()).Distinct().Count());
        var verify = await Keyward("audit", "verify", "--data-dir", _server.DataDir);
        Assert.True(verify.Code == 0, verify.Stdout);
    }

    [Fact]
    public async Task GetKeyLastUsage_answers_from_the_audit_records()
    {
        using var root = _server.Client();
        using var raw = new RawClient(_server.Url);
        var created = await root.CreateKeyAsync(new CreateKeyRequest());
        var key = created.KeyMetadata;
        var before = await raw.SendAsync("GetKeyLastUsage", $$"""{"KeyId":"{{key.KeyId}}"}""");
        Assert.Equal(200, before.Status);
        Assert.False(before.Body.TryGetProperty("KeyLastUsage", out _));
        Assert.Equal(key.Arn, before.Body.GetProperty("KeyId").GetString());
        Assert.True(before.Body.GetProperty("TrackingStartDate").GetDouble() <= before.Body.GetProperty("KeyCreationDate").GetDouble() + 1);

        await root.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1]) });
        var signed = await root.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_128 });
        await root.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId }); // not a cryptographic use
        var after = await raw.SendAsync("GetKeyLastUsage", $$"""{"KeyId":"{{key.Arn}}"}""");
        var usage = after.Body.GetProperty("KeyLastUsage");
        Assert.Equal("GenerateDataKey", usage.GetProperty("Operation").GetString());
        Assert.Equal(signed.ResponseMetadata.RequestId, usage.GetProperty("KmsRequestId").GetString());
        var eventId = usage.GetProperty("CloudTrailEventId").GetString();
        Assert.Contains(await EventsAsync("--event", "GenerateDataKey"), e => e.GetProperty("eventID").GetString() == eventId);
        Assert.Equal("ValidationException", (await raw.SendAsync("GetKeyLastUsage", "{}")).Type);
    }
}
