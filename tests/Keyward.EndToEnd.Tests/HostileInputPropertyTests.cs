using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.KeyManagementService.Model;
using CsCheck;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Protocol;
using Keyward.Protocol.Errors;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Thousands of generated requests over every operation against a real server (CsCheck): members of every operation
/// with values of every wrong kind (types, extremes, lengths, invalid UTF-8 and base64, DER and blobs that are almost
/// right, keys of every type and of no one), duplicate members, bodies cut short, unsigned requests and bad headers.
/// Each answer is below 500 and AWS-shaped; afterwards the server answers, every ciphertext made before still
/// decrypts, and the audit chain verifies. A failure prints CsCheck's seed and the request; <c>CsCheck_Seed</c> replays it.
/// </summary>
public sealed class HostileInputPropertyTests : IAsyncLifetime
{
    private readonly ServerFixture _server = new();
    private readonly List<(string Json, byte[] Plaintext, string Blob)> _witnesses = [];
    private string[] _victims = [];
    private string[] _blobs = [];
    private string _importToken = "";
    private string _grantToken = "";
    private const int Iterations = 4000;
    private static readonly HashSet<string> ErrorTypes = [.. Enum.GetNames<KmsErrorCode>()];

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        using var kms = _server.Client();
        // Witnesses: keys the generator never names. Victims: keys it may disable, delete, re-policy or tag.
        for (var i = 0; i < 3; i++)
        {
            var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            var plaintext = RandomNumberGenerator.GetBytes(32 + i);
            var blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = key, Plaintext = new MemoryStream(plaintext),
                EncryptionContext = new() { ["n"] = i.ToString() } })).CiphertextBlob.ToArray();
            _witnesses.Add(($$$"""{"CiphertextBlob":"{{{Convert.ToBase64String(blob)}}}","EncryptionContext":{"n":"{{{i}}}"}}""", plaintext, key));
        }
        var victims = new List<string>();
        foreach (var (spec, usage) in new[] { ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), ("RSA_2048", "SIGN_VERIFY"), ("RSA_2048", "ENCRYPT_DECRYPT"),
                     ("ECC_NIST_P256", "SIGN_VERIFY"), ("ECC_NIST_P256", "KEY_AGREEMENT"), ("HMAC_256", "GENERATE_VERIFY_MAC") })
            victims.Add((await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = spec, KeyUsage = usage })).KeyMetadata.Arn);
        var external = (await kms.CreateKeyAsync(new CreateKeyRequest { Origin = "EXTERNAL" })).KeyMetadata.KeyId;
        victims.Add(external);
        var import = await kms.GetParametersForImportAsync(new GetParametersForImportRequest
            { KeyId = external, WrappingAlgorithm = "RSA_AES_KEY_WRAP_SHA_256", WrappingKeySpec = "RSA_2048" });
        _importToken = Convert.ToBase64String(import.ImportToken.ToArray());
        _grantToken = (await kms.CreateGrantAsync(new CreateGrantRequest
            { KeyId = victims[0], GranteePrincipal = "arn:aws:iam::111122223333:user/app", Operations = ["Encrypt"] })).GrantToken;
        await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/victim", TargetKeyId = victims[0] });
        _victims = [.. victims, "alias/victim"];
        var victimBlob = (await kms.EncryptAsync(new EncryptRequest { KeyId = victims[0], Plaintext = new MemoryStream([1, 2, 3]) })).CiphertextBlob.ToArray();
        _blobs = [Convert.ToBase64String(victimBlob), Convert.ToBase64String(Flip(victimBlob, 40)), Convert.ToBase64String(victimBlob[..20])];
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    private static byte[] Flip(byte[] b, int at)
    {
        var copy = b.ToArray();
        copy[at % copy.Length] ^= 0x5A;
        return copy;
    }

    // Request members of every operation (and a few no operation has).
    private static readonly string[] Members =
    [
        "KeyId", "Plaintext", "CiphertextBlob", "EncryptionContext", "EncryptionAlgorithm", "GrantTokens", "DryRun", "Recipient",
        "SourceKeyId", "DestinationKeyId", "SourceEncryptionContext", "DestinationEncryptionContext", "SourceEncryptionAlgorithm",
        "DestinationEncryptionAlgorithm", "KeySpec", "NumberOfBytes", "KeyPairSpec", "Message", "MessageType", "Signature",
        "SigningAlgorithm", "MacAlgorithm", "Mac", "KeyAgreementAlgorithm", "PublicKey", "Policy", "PolicyName",
        "BypassPolicyLockoutSafetyCheck", "Description", "KeyUsage", "CustomerMasterKeySpec", "Origin", "CustomKeyStoreId",
        "MultiRegion", "Tags", "TagKeys", "XksKeyId", "AliasName", "TargetKeyId", "Limit", "Marker", "GrantId", "GranteePrincipal",
        "RetiringPrincipal", "Operations", "Constraints", "Name", "GrantToken", "PendingWindowInDays", "RotationPeriodInDays",
        "IncludeKeyMaterial", "WrappingAlgorithm", "WrappingKeySpec", "ImportToken", "EncryptedKeyMaterial", "ValidTo",
        "ExpirationModel", "ImportType", "KeyMaterialId", "KeyMaterialDescription", "CustomKeyStoreName", "CloudHsmClusterId",
        "TrustAnchorCertificate", "KeyStorePassword", "CustomKeyStoreType", "XksProxyUriEndpoint", "XksProxyUriPath",
        "XksProxyConnectivity", "XksProxyAuthenticationCredential", "NewCustomKeyStoreName", "ReplicaRegion", "PrimaryRegion",
        "Unknown", "keyid", "__proto__",
    ];

    private static readonly string[] Enums =
    [
        "SYMMETRIC_DEFAULT", "RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_SECG_P256K1", "HMAC_256", "HMAC_512", "SM2", "ML_DSA_44",
        "ECC_NIST_EDWARDS25519", "ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "AWS_KMS", "EXTERNAL",
        "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE", "RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256", "RSAES_PKCS1_V1_5",
        "ECDSA_SHA_256", "RSASSA_PSS_SHA_256", "HMAC_SHA_256", "ECDH", "RAW", "DIGEST", "EXTERNAL_MU", "AES_256", "AES_128",
        "KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE", "NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL", "Encrypt", "Decrypt",
        "CreateGrant", "default", "PUBLIC_ENDPOINT",
    ];

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    private Gen<string> Value(int depth)
    {
        var bytes = Gen.Int[0, 7].SelectMany(k => Gen.Byte.Array[new[] { 0, 1, 16, 32, 100, 4096, 6145, 70_000 }[k]]);
        var der = Gen.OneOf(Spki(ECCurve.NamedCurves.nistP256), Spki(ECCurve.NamedCurves.nistP384), RsaSpki(), [0x30, 0x82, 0xFF, 0xFF],
            [0x30, 0x03, 0x02, 0x01, 0x00]);
        var text = Gen.OneOf(
            Gen.String,
            Gen.String[Gen.Char, 0, 300],
            Gen.OneOf(Enums),
            Gen.OneOf(_victims),
            Gen.OneOf(_blobs),
            Gen.OneOf("", " ", "alias/", "alias/aws/s3", "alias/nope", "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000",
                "arn:aws:kms:eu-west-1:111122223333:alias/victim", "arn:aws:iam::111122223333:root", "arn:aws:iam::*:root", "*", "mrk-0",
                "kwgt1." + new string('a', 64) + ".00", "!!!not base64!!!", "AQ=", "====", "AAAA====", "{}", "2026-12-01T00:00:00Z",
                "https://127.0.0.1:1", "/kms/xks/v1", "cluster-abcdefghijklm", new string('a', 9000), new string('é', 70_000)),
            bytes.Select(Convert.ToBase64String),
            der.Select(Convert.ToBase64String));
        var scalar = Gen.OneOf(
            text.Select(Quote),
            Gen.OneOf("0", "-1", "1", "7", "30", "365", "1024", "1025", "2147483647", "2147483648", "-9223372036854775809", "1e400",
                "1.5", "-0", "true", "false", "null", "\"\\ud800\"", "\"\\u0000\"", "\"\\udfff\\ud800\""),
            Gen.Long.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (depth <= 0) return scalar;
        var inner = Value(depth - 1);
        return Gen.Frequency(
            (6, scalar),
            (1, inner.Array[0, 12].Select(items => "[" + string.Join(",", items) + "]")),
            (1, Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 0, 12].Array[0, 10], inner.Array[10], (keys, values) =>
                "{" + string.Join(",", keys.Select((k, i) => Quote(k) + ":" + values[i])) + "}")),
            (1, Gen.OneOf(new string('[', 200) + new string(']', 200), "{\"a\":" + new string('[', 80) + new string(']', 80) + "}")));
    }

    private static byte[] Spki(ECCurve curve)
    {
        using var ec = ECDiffieHellman.Create(curve);
        return ec.ExportSubjectPublicKeyInfo();
    }

    private static byte[] RsaSpki()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportSubjectPublicKeyInfo();
    }

    /// <summary>One request: the operation, the body bytes, and how it is sent (0 signed, 1 unsigned, 2 odd headers).</summary>
    private Gen<(string Operation, byte[] Body, int Mode)> Request()
    {
        var operation = Gen.Frequency((30, Gen.OneOf(Enum.GetNames<KmsOperation>())), (1, Gen.OneOf("Frobnicate", "", "encrypt")));
        var member = Gen.Select(Gen.OneOf(Members), Value(2), (name, value) => Quote(name) + ":" + value);
        var json = member.Array[0, 8].Select(m => "{" + string.Join(",", m) + "}");
        var body = Gen.Frequency(
            (20, json.Select(Encoding.UTF8.GetBytes)),
            // A member twice, or twice with different values.
            (2, Gen.Select(Gen.OneOf(Members), Value(0), Value(0), (n, a, b) => Encoding.UTF8.GetBytes($"{{{Quote(n)}:{a},{Quote(n)}:{b}}}"))),
            // Cut short, a byte that is not UTF-8, or not an object at all.
            (2, Gen.Select(json, Gen.Int[0, 1000], (j, at) => Encoding.UTF8.GetBytes(j)[..Math.Min(at, Encoding.UTF8.GetByteCount(j))])),
            (1, Gen.Select(json, Gen.Int[0, 1000], (j, at) =>
            {
                var b = Encoding.UTF8.GetBytes(j).ToList();
                b.Insert(Math.Min(at, b.Count), 0xFF);
                return b.ToArray();
            })),
            (1, Gen.OneOf("", "null", "[]", "\"x\"", "{", "{}}", "{} {}", "\u00EF\u00BB\u00BF{}").Select(Encoding.UTF8.GetBytes)));
        return Gen.Select(operation, body, Gen.Frequency((18, Gen.Const(0)), (1, Gen.Const(1)), (1, Gen.Const(2))));
    }

    /// <summary>
    /// A valid request of every operation (member name → JSON value), so that a mutation of one or two members reaches
    /// the checks and parsers behind the front door instead of stopping at the first malformed member.
    /// </summary>
    private Dictionary<string, (string Member, string Value)[]> Templates()
    {
        string Q(string s) => Quote(s);
        string B(int n) => Q(Convert.ToBase64String(RandomNumberGenerator.GetBytes(n)));
        var (sym, rsaSign, rsaEnc, eccSign, eccAgree, hmac, ext) = (Q(_victims[0]), Q(_victims[1]), Q(_victims[2]), Q(_victims[3]),
            Q(_victims[4]), Q(_victims[5]), Q(_victims[6]));
        const string context = """{"purpose":"test","n":"1"}""";
        var policy = Q($$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}""");
        var xksCredential = """{"AccessKeyId":"ABCDEFGHIJKLMNOPQRST","RawSecretAccessKey":"abcdefghijklmnopqrstuvwxyz0123456789ABCD"}""";
        var blob = Q(_blobs[0]);
        return new()
        {
            ["Encrypt"] = [("KeyId", sym), ("Plaintext", B(64)), ("EncryptionContext", context)],
            ["Decrypt"] = [("CiphertextBlob", blob), ("KeyId", sym), ("EncryptionAlgorithm", Q("SYMMETRIC_DEFAULT"))],
            ["ReEncrypt"] = [("CiphertextBlob", blob), ("DestinationKeyId", sym), ("DestinationEncryptionContext", context)],
            ["GenerateDataKey"] = [("KeyId", sym), ("KeySpec", Q("AES_256")), ("EncryptionContext", context)],
            ["GenerateDataKeyWithoutPlaintext"] = [("KeyId", sym), ("NumberOfBytes", "32")],
            ["GenerateDataKeyPair"] = [("KeyId", sym), ("KeyPairSpec", Q("ECC_NIST_P256"))],
            ["GenerateDataKeyPairWithoutPlaintext"] = [("KeyId", sym), ("KeyPairSpec", Q("RSA_2048"))],
            ["GenerateRandom"] = [("NumberOfBytes", "32")],
            ["Sign"] = [("KeyId", eccSign), ("Message", B(32)), ("SigningAlgorithm", Q("ECDSA_SHA_256")), ("MessageType", Q("DIGEST"))],
            ["Verify"] = [("KeyId", rsaSign), ("Message", B(100)), ("Signature", B(256)), ("SigningAlgorithm", Q("RSASSA_PSS_SHA_256"))],
            ["GenerateMac"] = [("KeyId", hmac), ("Message", B(100)), ("MacAlgorithm", Q("HMAC_SHA_256"))],
            ["VerifyMac"] = [("KeyId", hmac), ("Message", B(100)), ("Mac", B(32)), ("MacAlgorithm", Q("HMAC_SHA_256"))],
            ["DeriveSharedSecret"] = [("KeyId", eccAgree), ("KeyAgreementAlgorithm", Q("ECDH")),
                ("PublicKey", Q(Convert.ToBase64String(Spki(ECCurve.NamedCurves.nistP256))))],
            ["GetPublicKey"] = [("KeyId", rsaEnc)],
            ["DescribeKey"] = [("KeyId", sym)],
            ["EnableKey"] = [("KeyId", sym)],
            ["DisableKey"] = [("KeyId", hmac)],
            ["GetKeyPolicy"] = [("KeyId", sym), ("PolicyName", Q("default"))],
            ["PutKeyPolicy"] = [("KeyId", eccSign), ("PolicyName", Q("default")), ("Policy", policy)],
            ["ListKeyPolicies"] = [("KeyId", sym), ("Limit", "10")],
            ["GetKeyRotationStatus"] = [("KeyId", sym)],
            ["EnableKeyRotation"] = [("KeyId", sym), ("RotationPeriodInDays", "365")],
            ["DisableKeyRotation"] = [("KeyId", sym)],
            ["RotateKeyOnDemand"] = [("KeyId", sym)],
            ["ListKeyRotations"] = [("KeyId", sym), ("Limit", "5"), ("IncludeKeyMaterial", Q("ALL_KEY_MATERIAL"))],
            ["GetKeyLastUsage"] = [("KeyId", sym)],
            ["CreateKey"] = [("KeySpec", Q("ECC_NIST_P256")), ("KeyUsage", Q("SIGN_VERIFY")), ("Description", Q("d")),
                ("Tags", """[{"TagKey":"a","TagValue":"b"}]"""), ("Policy", policy)],
            ["ListKeys"] = [("Limit", "10"), ("Marker", Q("abc"))],
            ["UpdateKeyDescription"] = [("KeyId", sym), ("Description", Q("new"))],
            ["ScheduleKeyDeletion"] = [("KeyId", hmac), ("PendingWindowInDays", "7")],
            ["CancelKeyDeletion"] = [("KeyId", hmac)],
            ["CreateAlias"] = [("AliasName", Q("alias/made")), ("TargetKeyId", sym)],
            ["UpdateAlias"] = [("AliasName", Q("alias/victim")), ("TargetKeyId", sym)],
            ["DeleteAlias"] = [("AliasName", Q("alias/made"))],
            ["ListAliases"] = [("KeyId", sym), ("Limit", "10")],
            ["TagResource"] = [("KeyId", sym), ("Tags", """[{"TagKey":"a","TagValue":"b"}]""")],
            ["UntagResource"] = [("KeyId", sym), ("TagKeys", """["a"]""")],
            ["ListResourceTags"] = [("KeyId", sym), ("Limit", "10")],
            ["CreateGrant"] = [("KeyId", sym), ("GranteePrincipal", Q("arn:aws:iam::111122223333:user/app")), ("Operations", """["Encrypt","Decrypt"]"""),
                ("Constraints", """{"EncryptionContextSubset":{"a":"b"}}"""), ("Name", Q("g"))],
            ["ListGrants"] = [("KeyId", sym), ("Limit", "10")],
            ["ListRetirableGrants"] = [("RetiringPrincipal", Q("arn:aws:iam::111122223333:root")), ("Limit", "10")],
            ["RetireGrant"] = [("GrantToken", Q(_grantToken))],
            ["RevokeGrant"] = [("KeyId", sym), ("GrantId", Q(new string('a', 64)))],
            ["GetParametersForImport"] = [("KeyId", ext), ("WrappingAlgorithm", Q("RSAES_OAEP_SHA_256")), ("WrappingKeySpec", Q("RSA_2048"))],
            ["ImportKeyMaterial"] = [("KeyId", ext), ("ImportToken", Q(_importToken)), ("EncryptedKeyMaterial", B(256)),
                ("ExpirationModel", Q("KEY_MATERIAL_DOES_NOT_EXPIRE"))],
            ["DeleteImportedKeyMaterial"] = [("KeyId", ext)],
            ["CreateCustomKeyStore"] = [("CustomKeyStoreName", Q("xks")), ("CustomKeyStoreType", Q("EXTERNAL_KEY_STORE")),
                ("XksProxyUriEndpoint", Q("https://127.0.0.1:1")), ("XksProxyUriPath", Q("/kms/xks/v1")),
                ("XksProxyConnectivity", Q("PUBLIC_ENDPOINT")), ("XksProxyAuthenticationCredential", xksCredential)],
            ["DescribeCustomKeyStores"] = [("CustomKeyStoreName", Q("xks")), ("Limit", "5")],
            ["ConnectCustomKeyStore"] = [("CustomKeyStoreId", Q("cks-1234567890abcdefg"))],
            ["ReplicateKey"] = [("KeyId", sym), ("ReplicaRegion", Q("eu-west-1"))],
        };
    }

    private static readonly HashSet<string> Binary =
        ["CiphertextBlob", "Plaintext", "Message", "Signature", "Mac", "PublicKey", "ImportToken", "EncryptedKeyMaterial"];

    /// <summary>A base64 value with its bytes damaged: one flipped, cut short, or grown.</summary>
    private static Gen<string> DamagedBase64(string value) =>
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 10_000], Gen.Byte.Array[1, 40], (kind, at, extra) =>
        {
            byte[] bytes;
            try { bytes = Convert.FromBase64String(JsonSerializer.Deserialize<string>(value)!); }
            catch (Exception e) when (e is FormatException or JsonException or ArgumentNullException) { return value; }
            if (bytes.Length == 0) return Quote(Convert.ToBase64String(extra));
            return Quote(Convert.ToBase64String(kind switch
            {
                0 => Flip(bytes, at),
                1 => bytes[..(at % bytes.Length)],
                _ => [.. bytes, .. extra],
            }));
        });

    /// <summary>A template with up to three of its members replaced by hostile values, damaged, dropped or doubled, or one added.</summary>
    private Gen<(string Operation, byte[] Body, int Mode)> Mutated()
    {
        var templates = Templates();
        // Operations that parse client bytes (blobs, signatures, keys, tokens) come up four times as often.
        var names = Gen.Frequency(templates.Keys.Select(n => (templates[n].Any(m => Binary.Contains(m.Member)) ? 4 : 1, (IGen<string>)Gen.Const(n))).ToArray());
        // What to do to a member: replace its value (3), drop it (1), send it twice (1), add another (1), damage its bytes (4).
        var action = Gen.Frequency((3, Gen.Const(0)), (1, Gen.Const(1)), (1, Gen.Const(2)), (1, Gen.Const(3)), (4, Gen.Const(4)));
        var change = Gen.Select(action, Gen.Int[0, 100], Value(1), Gen.OneOf(Members));
        return Gen.Select(names, change.Array[0, 3], Gen.Int[0, 1000_000]).SelectMany(t =>
        {
            var (name, changes, salt) = t;
            var members = templates[name].ToList();
            foreach (var (kind, index, value, extraName) in changes)
            {
                if (members.Count == 0) break;
                var i = index % members.Count;
                switch (kind)
                {
                    case 0: members[i] = (members[i].Member, value); break;
                    case 1: members.RemoveAt(i); break;
                    case 2: members.Add((members[i].Member, value)); break; // the same member twice
                    case 3: members.Add((extraName, value)); break;
                    default:
                        // Damage the bytes of a binary member (marked here, damaged below), if the request has one.
                        var binary = members.FindIndex(m => Binary.Contains(m.Member) && !m.Value.StartsWith("\u0000", StringComparison.Ordinal));
                        if (binary >= 0) members[binary] = (members[binary].Member, "\u0000damaged:" + binary);
                        break;
                }
            }
            // Members marked for damage get their template value's bytes damaged (a blob, token or key that is almost right).
            var marked = members.Select((m, i) => (m, i)).Where(p => p.m.Value.StartsWith("\u0000damaged:", StringComparison.Ordinal)).ToList();
            var original = templates[name];
            var gens = marked.Select(p => DamagedBase64(original.FirstOrDefault(o => o.Member == p.m.Member).Value ?? "\"\"")).ToArray();
            var body = gens.Length == 0 ? Gen.Const(Array.Empty<string>()) : Gen.Select(gens.Select(g => g.Select(v => new[] { v })).Aggregate((a, b) =>
                Gen.Select(a, b, (x, y) => x.Concat(y).ToArray())), x => x);
            return body.Select(values =>
            {
                for (var k = 0; k < marked.Count; k++) members[marked[k].i] = (members[marked[k].i].Member, values[k]);
                var json = "{" + string.Join(",", members.Select(m => Quote(m.Member) + ":" + m.Value)) + "}";
                return (name, Encoding.UTF8.GetBytes(json), salt % 40 == 0 ? 1 : 0);
            });
        });
    }

    [Fact]
    public async Task Every_generated_request_gets_an_AWS_shaped_answer_below_500_and_nothing_made_before_is_lost()
    {
        using var raw = new RawClient(_server.Url);
        var seed = Environment.GetEnvironmentVariable("CsCheck_Seed");
        var sent = 0;
        var outcomes = new Dictionary<(string Operation, string Answer), int>();
        await Gen.Frequency((4, Mutated()), (1, Request())).SampleAsync(async r =>
        {
            Interlocked.Increment(ref sent);
            var reply = r.Mode switch
            {
                0 => await raw.SendAsync(r.Operation.Length == 0 ? null : r.Operation, r.Body),
                1 => await raw.SendAsync(r.Operation, r.Body, sign: false),
                _ => await raw.SendAsync(r.Operation, r.Body, tamper: m =>
                {
                    m.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
                    m.Headers.TryAddWithoutValidation("X-Amz-Security-Token", "x");
                }),
            };
            Assert.True(reply.Status < 500, $"{r.Operation} answered {reply.Status}: {reply.Raw}");
            lock (outcomes) outcomes[(r.Operation, reply.Type ?? "200")] = outcomes.GetValueOrDefault((r.Operation, reply.Type ?? "200")) + 1;
            if (reply.Status == 200) return;
            Assert.True(reply.Type is not null && ErrorTypes.Contains(reply.Type), $"{r.Operation} answered an error of no AWS type: {reply.Raw}");
        }, iter: Iterations, threads: 2, seed: seed, print: r => $"{r.Operation} (mode {r.Mode}): {Encoding.UTF8.GetString(r.Body)}");
        Assert.Equal(Iterations, sent);
        // The requests reached past the front door: many succeeded, and the errors are of many kinds (a generator that
        // only ever produced SerializationException would prove little).
        Assert.True(outcomes.Where(p => p.Key.Answer == "200").Sum(p => p.Value) > Iterations / 10, "too few requests succeeded");
        Assert.True(outcomes.Keys.Select(k => k.Answer).Distinct().Count() > 12, string.Join(", ", outcomes.Keys.Select(k => k.Answer).Distinct()));

        // The server still answers, everything made before decrypts, and the audit chain of all of it verifies.
        foreach (var (json, plaintext, key) in _witnesses)
        {
            var reply = await raw.SendAsync("Decrypt", json);
            Assert.Equal(200, reply.Status);
            Assert.Equal(plaintext, Convert.FromBase64String(reply.Body.GetProperty("Plaintext").GetString()!));
            Assert.Equal(key, reply.Body.GetProperty("KeyId").GetString()!.Split('/')[^1]);
        }
        await _server.Host.FlushAuditAsync();
        var (code, stdout, stderr) = await ExternalProcess.RunAsync("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "audit", "verify", "--data-dir", _server.DataDir]);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("the audit log is intact", stdout);
    }
}
