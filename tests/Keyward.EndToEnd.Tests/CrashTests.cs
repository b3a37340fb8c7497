using System.Collections.Concurrent;
using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;
using Tag = Amazon.KeyManagementService.Model.Tag;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Durability: SIGKILL the server while clients are writing, restart it on the same data
/// directory, and check that everything it acknowledged is there.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("keyward-crash").FullName;

    private sealed record Sealed(string KeyId, byte[] Blob, byte[] Plaintext, string Context, string RequestId);

    [Fact]
    public async Task Nothing_acknowledged_is_lost_when_the_server_is_killed_mid_load()
    {
        var keys = new ConcurrentBag<string>();
        var aliases = new ConcurrentBag<(string Alias, string KeyId)>();
        var tags = new ConcurrentBag<(string KeyId, string Value)>();
        var blobs = new ConcurrentBag<Sealed>();
        var disabled = new ConcurrentBag<string>();
        var disabling = new ConcurrentBag<string>();

        var server = await KeywardProcess.StartAsync(_dataDir);
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            using var kms = server.Client();
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var id = (await kms.CreateKeyAsync(new CreateKeyRequest { Tags = [new Tag { TagKey = "worker", TagValue = w.ToString() }] })).KeyMetadata.KeyId;
                    keys.Add(id);
                    tags.Add((id, w.ToString()));
                    for (var i = 0; i < 3; i++)
                    {
                        var plaintext = RandomNumberGenerator.GetBytes(64);
                        var context = $"{w}-{n}-{i}";
                        var encrypted = await kms.EncryptAsync(new EncryptRequest
                        {
                            KeyId = id, Plaintext = new MemoryStream(plaintext), EncryptionContext = new() { ["n"] = context },
                        });
                        blobs.Add(new Sealed(id, encrypted.CiphertextBlob.ToArray(), plaintext, context, encrypted.ResponseMetadata.RequestId));
                    }
                    var alias = $"alias/crash-{w}-{n}";
                    await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = id });
                    aliases.Add((alias, id));
                    if (n % 4 == 0)
                    {
                        disabling.Add(id);
                        await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = id });
                        disabled.Add(id);
                    }
                    n++;
                }
                catch (Exception)
                {
                    // Requests in flight at the kill fail; only acknowledged ones were recorded.
                    if (stop.IsCancellationRequested) return;
                    await Task.Delay(10);
                }
            }
        })).ToArray();

        // Let the load build up, then pull the plug while requests are in flight.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (keys.Count < 40 && DateTime.UtcNow < deadline) await Task.Delay(50);
        await server.KillAsync();
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        await server.DisposeAsync();
        Assert.True(keys.Count >= 40, $"only {keys.Count} keys were created before the kill");

        await using var restarted = await KeywardProcess.StartAsync(_dataDir);
        using var client = restarted.Client();
        foreach (var id in keys)
        {
            var m = (await client.DescribeKeyAsync(new DescribeKeyRequest { KeyId = id })).KeyMetadata;
            // An acknowledged disable must have stuck; one cut off by the kill may have landed or not.
            if (disabled.Contains(id)) Assert.Equal(KeyState.Disabled, m.KeyState);
            else if (!disabling.Contains(id)) Assert.Equal(KeyState.Enabled, m.KeyState);
        }
        foreach (var (alias, id) in aliases)
            Assert.Equal(id, (await client.DescribeKeyAsync(new DescribeKeyRequest { KeyId = alias })).KeyMetadata.KeyId);
        foreach (var (id, value) in tags)
            Assert.Contains((await client.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = id })).Tags, t => t.TagKey == "worker" && t.TagValue == value);
        foreach (var id in disabling) await client.EnableKeyAsync(new EnableKeyRequest { KeyId = id });
        foreach (var s in blobs)
        {
            var plain = (await client.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(s.Blob), EncryptionContext = new() { ["n"] = s.Context } })).Plaintext.ToArray();
            Assert.Equal(s.Plaintext, plain);
        }

        // Every acknowledged request was audited before its answer: the journal the kill left behind was indexed at
        // start, so each acknowledged Encrypt is in the chain exactly once, and the chain is intact.
        var keyward = Path.Combine(AppContext.BaseDirectory, "keyward.dll");
        var query = await ExternalProcess.RunAsync("dotnet", [keyward, "audit", "query", "--data-dir", _dataDir, "--event", "Encrypt"]);
        Assert.True(query.Code == 0, query.Stderr);
        var requestIds = query.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("requestID").GetString()).ToList();
        foreach (var s in blobs) Assert.Single(requestIds, id => id == s.RequestId);
        var verify = await ExternalProcess.RunAsync("dotnet", [keyward, "audit", "verify", "--data-dir", _dataDir]);
        Assert.True(verify.Code == 0, verify.Stdout + verify.Stderr);
    }

    [Fact]
    public async Task A_server_refuses_to_start_with_another_root_key_and_changes_nothing()
    {
        byte[] blob;
        await using (var first = await KeywardProcess.StartAsync(_dataDir))
        {
            using var kms = first.Client();
            var id = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = id, Plaintext = new MemoryStream([4, 2]) })).CiphertextBlob.ToArray();
        }
        var rootKey = Path.Combine(_dataDir, "root.key");
        File.Move(rootKey, rootKey + ".saved");

        File.WriteAllText(rootKey, "keyward-file-seal v1\n" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
        var wrong = await Assert.ThrowsAsync<InvalidOperationException>(() => KeywardProcess.StartAsync(_dataDir));
        Assert.Contains("does not match this database", wrong.Message);

        File.Delete(rootKey);
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => KeywardProcess.StartAsync(_dataDir));
        Assert.Contains("missing", missing.Message);
        Assert.False(File.Exists(rootKey), "a lost root key must not be silently replaced");

        File.Move(rootKey + ".saved", rootKey);
        await using var restored = await KeywardProcess.StartAsync(_dataDir);
        using var client = restored.Client();
        Assert.Equal(new byte[] { 4, 2 }, (await client.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext.ToArray());
    }

    [Fact]
    public async Task SIGTERM_stops_the_server_cleanly_and_the_data_stays()
    {
        byte[] blob;
        await using (var server = await KeywardProcess.StartAsync(_dataDir))
        {
            using var kms = server.Client();
            var id = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = id, Plaintext = new MemoryStream([7]) })).CiphertextBlob.ToArray();
            Assert.Equal(0, await server.TerminateAsync());
            Assert.DoesNotContain("fail:", server.Output);
        }
        await using var again = await KeywardProcess.StartAsync(_dataDir);
        using var client = again.Client();
        Assert.Equal(new byte[] { 7 }, (await client.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext.ToArray());
    }

    [Fact]
    public async Task Asymmetric_and_HMAC_keys_survive_a_restart_with_the_same_key_pair()
    {
        string signingKey, macKey;
        byte[] publicKey, mac;
        await using (var server = await KeywardProcess.StartAsync(_dataDir))
        {
            using var kms = server.Client();
            signingKey = (await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "ECC_SECG_P256K1", KeyUsage = "SIGN_VERIFY" })).KeyMetadata.KeyId;
            publicKey = (await kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = signingKey })).PublicKey.ToArray();
            macKey = (await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "HMAC_256", KeyUsage = "GENERATE_VERIFY_MAC" })).KeyMetadata.KeyId;
            mac = (await kms.GenerateMacAsync(new GenerateMacRequest { KeyId = macKey, Message = new MemoryStream([1, 2]), MacAlgorithm = "HMAC_SHA_256" })).Mac.ToArray();
            await server.KillAsync();
        }
        await using var again = await KeywardProcess.StartAsync(_dataDir);
        using var client = again.Client();
        Assert.Equal(publicKey, (await client.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = signingKey })).PublicKey.ToArray());
        var digest = System.Security.Cryptography.SHA256.HashData("block 812"u8);
        var signature = (await client.SignAsync(new SignRequest
        {
            KeyId = signingKey, Message = new MemoryStream(digest), MessageType = "DIGEST", SigningAlgorithm = "ECDSA_SHA_256",
        })).Signature.ToArray();
        using var ec = System.Security.Cryptography.ECDsa.Create();
        ec.ImportSubjectPublicKeyInfo(publicKey, out _);
        Assert.True(ec.VerifyHash(digest, signature, System.Security.Cryptography.DSASignatureFormat.Rfc3279DerSequence));
        Assert.True((await client.VerifyMacAsync(new VerifyMacRequest
        {
            KeyId = macKey, Message = new MemoryStream([1, 2]), MacAlgorithm = "HMAC_SHA_256", Mac = new MemoryStream(mac),
        })).MacValid);
    }

    [Fact]
    public async Task Rotated_and_imported_material_survives_a_kill_and_never_reaches_the_log()
    {
        string rotating, imported;
        byte[] before, after, underImported;
        var material = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        string output;
        await using (var server = await KeywardProcess.StartAsync(_dataDir))
        {
            using var kms = server.Client();
            rotating = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            before = (await kms.EncryptAsync(new EncryptRequest { KeyId = rotating, Plaintext = new MemoryStream([1]) })).CiphertextBlob.ToArray();
            await kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = rotating });
            // The lifecycle job performs the rotation; it is woken at once.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = rotating })).OnDemandRotationStartDate is not null)
            {
                Assert.True(DateTime.UtcNow < deadline, "the on-demand rotation did not complete");
                await Task.Delay(50);
            }
            after = (await kms.EncryptAsync(new EncryptRequest { KeyId = rotating, Plaintext = new MemoryStream([2]) })).CiphertextBlob.ToArray();

            imported = (await kms.CreateKeyAsync(new CreateKeyRequest { Origin = OriginType.EXTERNAL })).KeyMetadata.KeyId;
            var parameters = await kms.GetParametersForImportAsync(new GetParametersForImportRequest
            {
                KeyId = imported, WrappingAlgorithm = "RSAES_OAEP_SHA_256", WrappingKeySpec = "RSA_2048",
            });
            using var rsa = System.Security.Cryptography.RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(parameters.PublicKey.ToArray(), out _);
            await kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
            {
                KeyId = imported,
                ImportToken = parameters.ImportToken,
                EncryptedKeyMaterial = new MemoryStream(rsa.Encrypt(material, System.Security.Cryptography.RSAEncryptionPadding.OaepSHA256)),
                ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
            });
            underImported = (await kms.EncryptAsync(new EncryptRequest { KeyId = imported, Plaintext = new MemoryStream([3]) })).CiphertextBlob.ToArray();
            await server.KillAsync();
            output = server.Output;
        }
        Assert.DoesNotContain(Convert.ToHexString(material), output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(material), output);

        await using var again = await KeywardProcess.StartAsync(_dataDir);
        using var client = again.Client();
        foreach (var (blob, plaintext) in new[] { (before, (byte)1), (after, (byte)2), (underImported, (byte)3) })
            Assert.Equal(new[] { plaintext }, (await client.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })).Plaintext.ToArray());
        var rotation = Assert.Single((await client.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = rotating })).Rotations);
        Assert.Equal(RotationType.ON_DEMAND, rotation.RotationType);
        Assert.Equal(KeyState.Enabled, (await client.DescribeKeyAsync(new DescribeKeyRequest { KeyId = imported })).KeyMetadata.KeyState);
    }

    [Fact]
    public async Task A_generated_bootstrap_credential_is_printed_once_kept_private_and_works()
    {
        string accessKeyId, secret;
        await using (var first = await KeywardProcess.StartAsync(_dataDir, bootstrapFromEnvironment: false))
        {
            (accessKeyId, secret) = first.Credential;
            Assert.Matches("^AKIA[A-Z2-7]{16}$", accessKeyId);
            Assert.Equal(40, secret.Length);
            var output = first.Output;
            Assert.Contains($"aws configure set aws_access_key_id {accessKeyId} --profile keyward", output);
            Assert.Contains($"aws configure set aws_secret_access_key {secret} --profile keyward", output);
            Assert.Contains("aws configure set region us-east-1 --profile keyward", output);
            // Printed to the console once, never through the logger.
            Assert.Equal(1, output.Split(secret).Length - 1);
            using var kms = first.Client();
            await kms.CreateKeyAsync(new CreateKeyRequest());
        }
        var file = Path.Combine(_dataDir, "bootstrap-credential.json");
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dataDir, "root.key")));

        await using var second = await KeywardProcess.StartAsync(_dataDir, bootstrapFromEnvironment: false);
        Assert.Equal((accessKeyId, secret), second.Credential);
        Assert.DoesNotContain(secret, second.Output);
        using var client = second.Client();
        Assert.Single((await client.ListKeysAsync(new ListKeysRequest())).Keys);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
