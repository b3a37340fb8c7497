using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Tests.Shared;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// /healthz, /readyz and /metrics of the real executable, without SigV4; the access line per request in text and in
/// JSON. /metrics is read by Prometheus's own text-format parser (Debian's python3-prometheus-client).
/// </summary>
public sealed class OpsEndpointTests : IAsyncLifetime
{
    private const string Secret = "ops-endpoint-test-plaintext-0123456789";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("keyward-ops").FullName;
    private readonly HttpClient _http = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _http.Dispose();
        Directory.Delete(_dataDir, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Every sample of /metrics as Prometheus's parser reads it: (name, labels as k=v joined by ',', value).</summary>
    private static async Task<List<(string Name, string Labels, double Value)>> ParseAsync(string text)
    {
        const string Script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    print(s.name + "\t" + ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())) + "\t" + repr(float(s.value)))
            """;
        var (code, stdout, stderr) = await ExternalProcess.RunAsync("/usr/bin/python3", ["-c", Script], stdin: text);
        Assert.True(code == 0, "Prometheus's parser refused /metrics: " + stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))
            .Select(p => (p[0], p[1], double.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }

    [Fact]
    public async Task Health_readiness_and_metrics_answer_without_SigV4_and_count_every_request()
    {
        await using var server = await KeywardProcess.StartAsync(_dataDir);
        var health = await _http.GetAsync(new Uri(server.Url, "/healthz"));
        Assert.Equal((HttpStatusCode.OK, "ok\n"), (health.StatusCode, await health.Content.ReadAsStringAsync()));
        var ready = await _http.GetAsync(new Uri(server.Url, "/readyz"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using (var doc = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()))
        {
            Assert.Equal("ready", doc.RootElement.GetProperty("status").GetString());
            Assert.All(doc.RootElement.GetProperty("checks").EnumerateObject(), c => Assert.Equal("ok", c.Value.GetString()));
        }

        using var kms = server.Client();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        for (var i = 0; i < 3; i++) await kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes(Secret)) });
        await Assert.ThrowsAsync<NotFoundException>(() => kms.EncryptAsync(new EncryptRequest { KeyId = "alias/none", Plaintext = new MemoryStream([1]) }));

        var text = await _http.GetStringAsync(new Uri(server.Url, "/metrics"));
        var samples = await ParseAsync(text);
        double Sample(string name, string labels) => samples.Single(s => s.Name == name && s.Labels == labels).Value;
        Assert.Equal(3, Sample("keyward_requests_total", "error=,operation=Encrypt"));
        Assert.Equal(1, Sample("keyward_requests_total", "error=NotFoundException,operation=Encrypt"));
        Assert.Equal(1, Sample("keyward_requests_total", "error=,operation=CreateKey"));
        Assert.Equal(4, Sample("keyward_request_duration_seconds_count", "operation=Encrypt"));
        Assert.Contains(samples, s => s.Name == "keyward_key_cache_lookups_total" && s.Labels == "result=hit" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "keyward_audit_unindexed_bytes");
        Assert.Equal(1, Sample("keyward_keys", "state=Enabled"));
        Assert.Equal(0, Sample("keyward_keys", "state=PendingDeletion"));
        // Nothing of the caller's: no principal, access key, key id, plaintext.
        Assert.DoesNotContain("arn:aws", text);
        Assert.DoesNotContain(ServerFixture.AccessKeyId, text);
        Assert.DoesNotContain(key, text);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)), text);

        // One access line per answered request, with the principal, key, status and error type, and no plaintext.
        await Eventually.WaitFor(() => Task.FromResult(server.Output.Split('\n').Count(l => l.Contains(" Encrypt by ")) == 4));
        var lines = server.Output.Split('\n').Where(l => l.Contains(" Encrypt by ")).ToList();
        Assert.Equal(3, lines.Count(l => l.Contains($"by arn:aws:iam::{ServerFixture.Account}:root on arn:aws:kms:") && l.Contains(": 200 - in ")));
        Assert.Single(lines, l => l.Contains(": 400 NotFoundException in "));
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)), server.Output);
        // A POST to /healthz is not the health check: it is a KMS request, and unsigned.
        var post = await _http.PostAsync(new Uri(server.Url, "/healthz"), new StringContent("{}"));
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
    }

    [Fact]
    public async Task Readiness_fails_naming_the_check_when_the_journal_cannot_be_written_and_recovers()
    {
        await using var server = await KeywardProcess.StartAsync(_dataDir);
        var journal = Path.Combine(_dataDir, "audit.journal");
        File.Move(journal, journal + ".aside");
        Directory.CreateDirectory(journal);
        try
        {
            var ready = await _http.GetAsync(new Uri(server.Url, "/readyz"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            using var doc = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            Assert.Equal("not ready", doc.RootElement.GetProperty("status").GetString());
            Assert.Equal("cannot be written", doc.RootElement.GetProperty("checks").GetProperty("audit_journal").GetString());
            Assert.Equal("ok", doc.RootElement.GetProperty("checks").GetProperty("database").GetString());
            // Alive all the same.
            Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(server.Url, "/healthz"))).StatusCode);
        }
        finally
        {
            Directory.Delete(journal);
            File.Move(journal + ".aside", journal);
        }
        await Eventually.WaitFor(async () => (await _http.GetAsync(new Uri(server.Url, "/readyz"))).StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task Readiness_fails_when_the_database_is_stopped_and_recovers_when_it_is_back()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.NewDatabaseAsync();
        await using var server = await KeywardProcess.StartAsync(_dataDir, args: ["--database", postgres.Uri(database)]);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(server.Url, "/readyz"))).StatusCode);
        await postgres.StopAsync();
        var ready = await _http.GetAsync(new Uri(server.Url, "/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using (var doc = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()))
            Assert.StartsWith("unavailable", doc.RootElement.GetProperty("checks").GetProperty("database").GetString());
        await postgres.StartServerAsync();
        await Eventually.WaitFor(async () => (await _http.GetAsync(new Uri(server.Url, "/readyz"))).StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_json_log_is_one_object_a_line_with_the_access_fields()
    {
        await using var server = await KeywardProcess.StartAsync(_dataDir, args: ["--log-format", "json"]);
        using var kms = server.Client();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.Arn;
        await Eventually.WaitFor(() => Task.FromResult(server.Output.Contains("\"Operation\":\"CreateKey\"")));
        var objects = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var access = objects.Single(o => o.GetProperty("EventId").GetInt32() == 16
                                         && o.GetProperty("State").GetProperty("Operation").GetString() == "CreateKey");
        var state = access.GetProperty("State");
        Assert.Equal(("CreateKey", $"arn:aws:iam::{ServerFixture.Account}:root", key, "200", "-"), (state.GetProperty("Operation").GetString(),
            state.GetProperty("Principal").GetString(), state.GetProperty("Key").GetString(), state.GetProperty("Status").ToString(),
            state.GetProperty("Error").GetString()));
        Assert.Contains(objects, o => o.GetProperty("EventId").GetInt32() == 1); // the start-up line
    }

    [Fact]
    public async Task With_an_admin_address_the_ops_endpoints_move_there_and_leave_the_KMS_address()
    {
        var admin = new Uri($"http://127.0.0.1:{KeywardProcess.FreePort()}/");
        await using var server = await KeywardProcess.StartAsync(_dataDir, args: ["--admin-listen", admin.ToString().TrimEnd('/')]);
        await Eventually.WaitFor(() => Task.FromResult(server.Output.Contains($"Health and metrics (/healthz, /readyz, /metrics) on {admin}")));
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(admin, "/healthz"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(admin, "/readyz"))).StatusCode);
        using var kms = server.Client();
        await kms.CreateKeyAsync(new CreateKeyRequest());
        var samples = await ParseAsync(await _http.GetStringAsync(new Uri(admin, "/metrics")));
        Assert.Contains(samples, s => s is { Name: "keyward_requests_total", Labels: "error=,operation=CreateKey", Value: 1 });
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri(admin, "/"))).StatusCode);
        // On the KMS address they are now unsigned KMS requests.
        var moved = await _http.GetAsync(new Uri(server.Url, "/metrics"));
        Assert.Equal(HttpStatusCode.BadRequest, moved.StatusCode);
        Assert.Contains("MissingAuthenticationToken", await moved.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_admin_address_equal_to_the_KMS_address_is_refused_before_anything_is_written()
    {
        var data = Path.Combine(_dataDir, "never-made");
        var listen = $"http://127.0.0.1:{KeywardProcess.FreePort()}";
        var (code, _, stderr) = await ExternalProcess.RunAsync("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "serve", "--data-dir", data, "--listen", listen, "--admin-listen", listen]);
        Assert.Equal(2, code);
        Assert.StartsWith("keyward: --admin-listen must be another address than --listen", stderr);
        Assert.False(Directory.Exists(data));
    }
}
