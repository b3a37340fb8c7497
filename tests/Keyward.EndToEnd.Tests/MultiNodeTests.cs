using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Keyward.Core.Service;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Two real `keyward serve` processes on one PostgreSQL database, driven by the AWS SDK for .NET
/// directly and through nginx round-robin: keys created on one node work on the other, changes reach
/// the other node within the stated bound, a node killed under load loses nothing acknowledged,
/// a database restart gives retryable AWS errors and heals by itself, and due work runs once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MultiNodeTests
{
    private static MemoryStream Bytes(string s) => new(System.Text.Encoding.UTF8.GetBytes(s));

    /// <summary>
    /// docs/multi-node.md: a change made through one node reaches every other within the key cache's maximum age
    /// (KeyCacheTests proves that bound with a manual clock). Here the nodes are waited for with a generous deadline,
    /// so a busy machine cannot fail the test; a node that never sees the change still does.
    /// </summary>
    private static readonly TimeSpan Settle = KeyCache.MaxAge + TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_key_created_through_one_node_works_on_the_other_at_once()
    {
        await using var cluster = await NodeCluster.StartAsync();
        using var a = cluster.Client(0);
        using var b = cluster.Client(1);

        var key = (await a.CreateKeyAsync(new CreateKeyRequest { Description = "made on A", Tags = [new Tag { TagKey = "team", TagValue = "blue" }] })).KeyMetadata;
        await a.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/shared", TargetKeyId = key.KeyId });

        // B has never seen the key or the alias: it reads them from the database at once.
        var encrypted = await b.EncryptAsync(new EncryptRequest { KeyId = "alias/shared", Plaintext = Bytes("across nodes") });
        Assert.Equal(key.Arn, encrypted.KeyId);
        var decrypted = await a.DecryptAsync(new DecryptRequest { CiphertextBlob = encrypted.CiphertextBlob });
        Assert.Equal("across nodes", System.Text.Encoding.UTF8.GetString(decrypted.Plaintext.ToArray()));

        var described = (await b.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId })).KeyMetadata;
        Assert.Equal(("made on A", "Enabled"), (described.Description, described.KeyState.Value));
        Assert.Contains((await b.ListKeysAsync(new ListKeysRequest())).Keys, k => k.KeyId == key.KeyId);
        Assert.Contains((await b.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId })).Tags, t => t.TagKey == "team" && t.TagValue == "blue");

        // A data key made on B decrypts on A.
        var dataKey = await b.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256 });
        var back = await a.DecryptAsync(new DecryptRequest { CiphertextBlob = dataKey.CiphertextBlob });
        Assert.Equal(dataKey.Plaintext.ToArray(), back.Plaintext.ToArray());

        // Rotation on B: A encrypts under the new material at once and still decrypts the old blob.
        await b.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId });
        await Eventually(async () => (await a.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId })).Rotations?.Count == 1, TimeSpan.FromSeconds(30));
        Assert.Equal("across nodes", System.Text.Encoding.UTF8.GetString((await a.DecryptAsync(new DecryptRequest { CiphertextBlob = encrypted.CiphertextBlob })).Plaintext.ToArray()));
    }

    /// <summary>
    /// Nodes of different Regions on one database: node 0 serves us-east-1 and eu-west-1, node 1 only eu-west-1. A replica
    /// made through node 0 is used through node 1 at once, and rotating the primary reaches node 1 by change notice.
    /// </summary>
    [Fact]
    public async Task A_replica_made_through_one_node_is_used_through_a_node_of_its_region_at_once()
    {
        const string west = "eu-west-1";
        await using var cluster = await NodeCluster.StartAsync(nodeArgs: i => i == 0 ? ["--regions", west] : ["--region", west]);
        using var east0 = cluster.Client(0);
        using var west1 = cluster.Client(1, west);

        var key = (await east0.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata.KeyId;
        var replica = (await east0.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = key, ReplicaRegion = west })).ReplicaKeyMetadata;
        var blob = (await west1.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("from the west") })).CiphertextBlob;
        Assert.Equal(replica.Arn, (await west1.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.Arn);
        Assert.Equal("from the west", System.Text.Encoding.UTF8.GetString((await east0.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext.ToArray()));
        // Node 1 does not serve the primary's Region.
        using var east1 = cluster.Client(1);
        var refused = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => east1.ListKeysAsync(new ListKeysRequest()));
        Assert.Equal("InvalidSignatureException", refused.ErrorCode);

        // Node 1 has the replica cached; the primary's rotation on node 0 reaches it.
        await east0.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key });
        var rotated = await Eventually(async () =>
            (await east0.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key })).Rotations?.SingleOrDefault()?.KeyMaterialId, TimeSpan.FromSeconds(30));
        await Eventually(async () =>
            (await west1.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.CurrentKeyMaterialId == rotated, Settle);
        var fresh = (await west1.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("new material") })).CiphertextBlob;
        Assert.Equal("new material", System.Text.Encoding.UTF8.GetString((await east0.DecryptAsync(new DecryptRequest { CiphertextBlob = fresh })).Plaintext.ToArray()));
    }

    [Fact]
    public async Task Changes_on_one_node_are_enforced_on_the_other_within_the_bound()
    {
        await using var cluster = await NodeCluster.StartAsync();
        using var a = cluster.Client(0);
        using var b = cluster.Client(1);
        var key = (await a.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var other = (await a.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        await a.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/moving", TargetKeyId = key });

        // B caches the key and the alias.
        await b.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("x") });
        Assert.Equal(key, await AliasTargetOn(b, "alias/moving"));

        await a.DisableKeyAsync(new DisableKeyRequest { KeyId = key });
        await RefusedWithin(() => b.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("x") }), "DisabledException");

        await a.UpdateAliasAsync(new UpdateAliasRequest { AliasName = "alias/moving", TargetKeyId = other });
        await Eventually(async () => await AliasTargetOn(b, "alias/moving") == other, Settle);

        await b.EncryptAsync(new EncryptRequest { KeyId = other, Plaintext = Bytes("x") });
        await a.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = other, PendingWindowInDays = 7 });
        await RefusedWithin(() => b.EncryptAsync(new EncryptRequest { KeyId = other, Plaintext = Bytes("x") }), "KMSInvalidStateException");

        // And back: enabled on B, A uses it again.
        await b.EnableKeyAsync(new EnableKeyRequest { KeyId = key });
        await Eventually(async () =>
        {
            try { await a.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("x") }); return true; }
            catch (DisabledException) { return false; }
        }, Settle);
    }

    [Fact]
    public async Task Encrypt_with_a_key_a_node_has_seen_costs_no_database_round_trip()
    {
        await using var cluster = await NodeCluster.StartAsync(nodes: 1);
        using var a = cluster.Client(0);
        var key = (await a.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        await a.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("warm") });

        // The server logs every statement (log_statement=all): count key and material reads between two markers.
        const int Requests = 300;
        var keyReads = await KeyReadsDuring(cluster, async () =>
        {
            for (var i = 0; i < Requests; i++) await a.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("p") });
        });
        // At most one re-read of the key per cache age; far fewer than one per request.
        Assert.True(keyReads < Requests / 10, $"{keyReads} key reads for {Requests} Encrypt requests");

        // The count does see reads: once the cache age has passed, the next Encrypt reads the key again.
        await Task.Delay(KeyCache.MaxAge + TimeSpan.FromMilliseconds(200));
        Assert.True(await KeyReadsDuring(cluster, async () => await a.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes("p") })) >= 1);
    }

    private static async Task<int> KeyReadsDuring(NodeCluster cluster, Func<Task> work)
    {
        var marker = Guid.NewGuid().ToString("N");
        await cluster.Postgres.PsqlAsync(cluster.Database, $"SELECT 'start-{marker}'");
        await work();
        await cluster.Postgres.PsqlAsync(cluster.Database, $"SELECT 'end-{marker}'");
        var log = cluster.Postgres.ServerLog();
        var start = log.IndexOf($"start-{marker}", StringComparison.Ordinal);
        var window = log[start..log.IndexOf($"end-{marker}", start, StringComparison.Ordinal)];
        return window.Split('\n').Count(l => l.Contains("FROM keys WHERE key_id", StringComparison.Ordinal) || l.Contains("FROM key_materials WHERE key_id", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_changes_to_one_key_from_two_nodes_lose_no_update()
    {
        await using var cluster = await NodeCluster.StartAsync();
        using var a = cluster.Client(0);
        using var b = cluster.Client(1);
        var key = (await a.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        // Each node adds its own tags and flips the description; every tag must survive.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var client = i % 2 == 0 ? a : b;
            await client.TagResourceAsync(new TagResourceRequest { KeyId = key, Tags = [new Tag { TagKey = $"t{i}", TagValue = $"{i}" }] });
            await client.UpdateKeyDescriptionAsync(new UpdateKeyDescriptionRequest { KeyId = key, Description = $"d{i}" });
            if (i % 4 == 0) await client.DisableKeyAsync(new DisableKeyRequest { KeyId = key });
            else await client.EnableKeyAsync(new EnableKeyRequest { KeyId = key });
        }));
        var tags = (await b.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key })).Tags;
        Assert.Equal(20, tags.Count);
        await a.EnableKeyAsync(new EnableKeyRequest { KeyId = key });
        await b.UpdateKeyDescriptionAsync(new UpdateKeyDescriptionRequest { KeyId = key, Description = "final" });
        Assert.Equal("final", (await a.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.Description);
    }

    [Fact]
    public async Task Round_robin_through_nginx_uses_both_nodes()
    {
        await using var cluster = await NodeCluster.StartAsync(balancer: true);
        using var client = cluster.BalancedClient();
        var key = (await client.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        for (var i = 0; i < 20; i++)
        {
            var blob = (await client.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = Bytes($"m{i}") })).CiphertextBlob;
            var plain = (await client.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext;
            Assert.Equal($"m{i}", System.Text.Encoding.UTF8.GetString(plain.ToArray()));
        }
        var served = cluster.Balancer!.AccessLog.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToHashSet();
        Assert.Contains($"127.0.0.1:{cluster.Node(0).Url.Port}", served);
        Assert.Contains($"127.0.0.1:{cluster.Node(1).Url.Port}", served);
    }

    [Fact]
    public async Task A_node_killed_under_load_loses_nothing_acknowledged()
    {
        await using var cluster = await NodeCluster.StartAsync(balancer: true);
        using var client = cluster.BalancedClient();
        var shared = (await client.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var created = new ConcurrentBag<string>();
        var sealedBlobs = new ConcurrentBag<(string Text, MemoryStream Blob)>();
        var failures = new ConcurrentBag<string>();
        var afterKill = 0;
        var killed = false;
        using var stop = new CancellationTokenSource();

        const int Workers = 4;
        var load = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var id = (await client.CreateKeyAsync(new CreateKeyRequest { Description = $"w{w}-{i}" })).KeyMetadata.KeyId;
                    created.Add(id);
                    var text = $"w{w}-{i}";
                    sealedBlobs.Add((text, (await client.EncryptAsync(new EncryptRequest { KeyId = shared, Plaintext = Bytes(text) })).CiphertextBlob));
                    if (Volatile.Read(ref killed)) Interlocked.Increment(ref afterKill);
                }
                catch (AmazonServiceException e) { failures.Add($"{(int)e.StatusCode} {e.ErrorCode}"); }
            }
        })).ToArray();

        // Load on both nodes first; then A dies mid-load, and the survivor carries on.
        await Eventually(() => Task.FromResult(created.Count >= 20), Settle);
        await cluster.KillNodeAsync(0);
        Volatile.Write(ref killed, true);
        await Eventually(() => Task.FromResult(Volatile.Read(ref afterKill) >= 20), Settle);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        // Only requests that reached node A may fail, and only as the balancer's 502 (never a KMS error): the one each
        // worker had in flight at the kill, and one each that nginx sent on a connection to A it had kept open (keepalive)
        // before it saw that connection close; a POST sent there is not retried on B, as nginx does for non-idempotent
        // requests.
        Assert.All(failures, f => Assert.StartsWith("502", f, StringComparison.Ordinal));
        Assert.True(failures.Count <= 2 * Workers, $"{failures.Count} failures: {string.Join(", ", failures)}");
        Assert.True(afterKill > 0, "no request succeeded after the kill");
        using var survivor = cluster.Client(1);
        foreach (var id in created)
            Assert.Equal("Enabled", (await survivor.DescribeKeyAsync(new DescribeKeyRequest { KeyId = id })).KeyMetadata.KeyState.Value);
        foreach (var (text, blob) in sealedBlobs)
            Assert.Equal(text, System.Text.Encoding.UTF8.GetString((await survivor.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext.ToArray()));
        Assert.True(created.Count > 10, $"only {created.Count} keys were created under load");
    }

    [Fact]
    public async Task A_database_restart_under_load_gives_retryable_AWS_errors_and_heals()
    {
        await using var cluster = await NodeCluster.StartAsync(balancer: true);
        using var client = cluster.BalancedClient();
        var shared = (await client.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var outcomes = new ConcurrentBag<string>();
        var longest = TimeSpan.Zero;
        using var stop = new CancellationTokenSource();

        var load = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    var id = (await client.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
                    await client.EncryptAsync(new EncryptRequest { KeyId = id, Plaintext = Bytes("p") });
                    await client.EncryptAsync(new EncryptRequest { KeyId = shared, Plaintext = Bytes("p") });
                    outcomes.Add("ok");
                }
                catch (AmazonServiceException e) { outcomes.Add($"{(int)e.StatusCode} {e.ErrorCode}"); await Task.Delay(50); }
                lock (outcomes) if (watch.Elapsed > longest) longest = watch.Elapsed;
            }
        })).ToArray();

        await Task.Delay(1000);
        await cluster.Postgres.StopAsync("fast");
        try
        {
            await Task.Delay(3000);
        }
        finally { await cluster.Postgres.StartServerAsync(); }

        // Both nodes heal by themselves: a write succeeds on each.
        foreach (var node in new[] { 0, 1 })
        {
            using var direct = cluster.Client(node);
            await Eventually(async () =>
            {
                try { await direct.CreateKeyAsync(new CreateKeyRequest()); return true; }
                catch (DependencyTimeoutException) { return false; }
            }, TimeSpan.FromSeconds(30));
        }
        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var errors = outcomes.Where(o => o != "ok").ToList();
        Assert.NotEmpty(errors); // the outage was seen
        Assert.All(errors, e => Assert.Equal("503 DependencyTimeoutException", e));
        Assert.Contains("ok", outcomes);
        // Not hangs: every request was answered well within the SDK's 30 s timeout.
        Assert.True(longest < TimeSpan.FromSeconds(20), $"a request took {longest}");
        // The cached key kept working for Encrypt while the database was down on at least one attempt is not required;
        // what is required is that no answer was a 500 and nothing hung.
    }

    [Fact]
    public async Task A_due_deletion_runs_exactly_once_with_both_nodes_up()
    {
        await using var cluster = await NodeCluster.StartAsync(lifecycleInterval: 0.2);
        using var a = cluster.Client(0);
        using var b = cluster.Client(1);
        var keys = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var id = (await a.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            await (i % 2 == 0 ? a : b).ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = id, PendingWindowInDays = 7 });
            keys.Add(id);
        }
        var survivor = (await a.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        Assert.Equal(0, cluster.DeletedKeysLogged());
        // Seven days pass for these rows (the nodes' clocks are real; the test moves the due date instead).
        await cluster.Postgres.PsqlAsync(cluster.Database,
            $"UPDATE keys SET deletion_date = 0 WHERE key_id IN ({string.Join(',', keys.Select(k => $"'{k}'"))})");

        await Eventually(async () =>
        {
            foreach (var id in keys)
            {
                try { await b.DescribeKeyAsync(new DescribeKeyRequest { KeyId = id }); return false; }
                catch (NotFoundException) { }
            }
            return true;
        }, TimeSpan.FromSeconds(30));
        await Task.Delay(1000); // more passes on both nodes find nothing left to do
        Assert.Equal(keys.Count, cluster.DeletedKeysLogged());
        Assert.Equal("0", await cluster.Postgres.PsqlAsync(cluster.Database, "SELECT count(*) FROM key_materials WHERE key_id IN (" + string.Join(',', keys.Select(k => $"'{k}'")) + ")"));
        Assert.Equal("Enabled", (await b.DescribeKeyAsync(new DescribeKeyRequest { KeyId = survivor })).KeyMetadata.KeyState.Value);
    }

    [Fact]
    public async Task A_node_with_another_root_key_refuses_to_start_and_writes_nothing()
    {
        await using var cluster = await NodeCluster.StartAsync(nodes: 1);
        using (var a = cluster.Client(0)) await a.CreateKeyAsync(new CreateKeyRequest());
        // The good node stops (SIGTERM: its audit journal is indexed on the way out), so only the refused node could write.
        Assert.Equal(0, await cluster.Node(0).TerminateAsync());
        const string Snapshot = "SELECT string_agg(t, '|' ORDER BY t) FROM (SELECT name || encode(value, 'hex') AS t FROM settings UNION ALL " +
                                "SELECT key_id || version FROM keys UNION ALL SELECT version::text FROM schema_migrations UNION ALL SELECT name FROM job_leases " +
                                "UNION ALL SELECT seq || encode(hash, 'hex') FROM audit_events) s";
        var before = await cluster.Postgres.PsqlAsync(cluster.Database, Snapshot);

        // A data directory with a different root key file.
        var wrong = Directory.CreateTempSubdirectory("keyward-wrong-seal").FullName;
        Keyward.Core.Seal.FileSeal.Open(Path.Combine(wrong, "root.key"), create: true).Dispose();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => KeywardProcess.StartAsync(wrong, env: new Dictionary<string, string> { ["KEYWARD_DATABASE"] = cluster.DatabaseUri }));
        Assert.Contains("does not match this database", error.Message);

        // A data directory without the root key file at all.
        var empty = Directory.CreateTempSubdirectory("keyward-no-seal").FullName;
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => KeywardProcess.StartAsync(empty, env: new Dictionary<string, string> { ["KEYWARD_DATABASE"] = cluster.DatabaseUri }));
        Assert.Contains("root", missing.Message);
        Assert.False(File.Exists(Path.Combine(empty, "root.key")));

        Assert.Equal(before, await cluster.Postgres.PsqlAsync(cluster.Database, Snapshot));
        Directory.Delete(wrong, recursive: true);
        Directory.Delete(empty, recursive: true);
    }

    [Fact]
    public async Task Db_migrate_brings_an_empty_database_to_the_latest_schema_once()
    {
        var postgres = await Keyward.Tests.Shared.PostgresServer.Instance;
        var database = await postgres.NewDatabaseAsync("migrate");
        var keyward = Path.Combine(AppContext.BaseDirectory, "keyward.dll");
        var first = await ExternalProcess.RunAsync("dotnet", [keyward, "db", "migrate", "--database", postgres.Uri(database)]);
        Assert.True(first.Code == 0, first.Stderr);
        Assert.Contains($"is at schema version {Keyward.Storage.Postgres.PostgresKmsStorage.LatestSchemaVersion} (was 0)", first.Stdout);
        Assert.DoesNotContain(Keyward.Tests.Shared.PostgresServer.Password, first.Stdout + first.Stderr);
        // An Npgsql connection string works too, and a second run changes nothing.
        var second = await ExternalProcess.RunAsync("dotnet", [keyward, "db", "migrate", "--database", postgres.ConnectionString(database)]);
        Assert.True(second.Code == 0, second.Stderr);
        Assert.Contains($"(was {Keyward.Storage.Postgres.PostgresKmsStorage.LatestSchemaVersion})", second.Stdout);
        Assert.Equal(string.Join(",", Enumerable.Range(1, Keyward.Storage.Postgres.PostgresKmsStorage.LatestSchemaVersion)), await postgres.PsqlAsync(database, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"));

        var wrongPassword = await ExternalProcess.RunAsync("dotnet", [keyward, "db", "migrate", "--database", $"postgresql://keyward:not-it@127.0.0.1:{postgres.Port}/{database}"]);
        Assert.Equal(1, wrongPassword.Code);
        Assert.DoesNotContain("not-it", wrongPassword.Stdout + wrongPassword.Stderr);
        var badUri = await ExternalProcess.RunAsync("dotnet", [keyward, "db", "migrate", "--database", "postgresql://host/db?nonsense=1"]);
        Assert.Equal(2, badUri.Code);
        Assert.Contains("unsupported URI parameter", badUri.Stderr);
    }

    private static async Task<string?> AliasTargetOn(AmazonKeyManagementServiceClient client, string alias) =>
        (await client.DescribeKeyAsync(new DescribeKeyRequest { KeyId = alias })).KeyMetadata.KeyId;

    /// <summary>Repeats <paramref name="call"/> until it fails with <paramref name="errorCode"/>.</summary>
    private static async Task RefusedWithin(Func<Task> call, string errorCode)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try { await call(); }
            catch (AmazonKeyManagementServiceException e) when (e.ErrorCode == errorCode) { return; }
            if (watch.Elapsed > Settle) throw new Xunit.Sdk.XunitException($"not refused with {errorCode} after {watch.Elapsed}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits for <paramref name="value"/> to be non-null and returns it.</summary>
    private static async Task<T> Eventually<T>(Func<Task<T?>> value, TimeSpan within) where T : class
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (await value() is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"no value within {within}");
            await Task.Delay(50);
        }
    }

    private static async Task Eventually(Func<Task<bool>> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"condition not met within {within}");
            await Task.Delay(50);
        }
    }
}
