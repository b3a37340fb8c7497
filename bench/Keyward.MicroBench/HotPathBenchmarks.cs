using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Keyward.Core;
using Keyward.Core.Identity;
using Keyward.Core.KeyStores;
using Keyward.Core.Seal;
using Keyward.Core.Service;
using Keyward.Protocol.Json;
using Keyward.Protocol.Operations;
using Keyward.Protocol.SigV4;
using Keyward.Storage.Sqlite;

namespace Keyward.MicroBench;

/// <summary>
/// The pieces of one Encrypt request, each against the same baseline: one AES-256-GCM
/// encryption of 1 KiB under a fixed key (what the HTTP-level baseline of bench/run does).
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _plaintext = RandomNumberGenerator.GetBytes(1024);
    private readonly byte[] _ciphertext = new byte[1024];
    private readonly byte[] _tag = new byte[16];
    private readonly byte[] _iv = new byte[12];
    private byte[] _body = null!;
    private Dictionary<string, string> _headers = null!;
    private SigV4Verifier _verifier = null!;
    private KmsService _service = null!;
    private Caller _caller = null!;
    private EncryptRequest _encrypt = null!;
    private DecryptRequest _decrypt = null!;
    private string _dir = null!;
    private IDisposable[] _owned = [];

    [GlobalSetup]
    public void Setup()
    {
        _body = Encoding.UTF8.GetBytes($"{{\"KeyId\":\"1234abcd-12ab-34cd-56ef-1234567890ab\",\"Plaintext\":\"{Convert.ToBase64String(_plaintext)}\"}}");
        var signed = new Dictionary<string, string> { ["host"] = "127.0.0.1:4599", ["content-type"] = "application/x-amz-json-1.1", ["x-amz-target"] = "TrentService.Encrypt" };
        // Signed one minute from now, so the request stays inside the 5-minute window for the whole run.
        var (date, auth) = SigV4Signer.Sign("POST", "/", "", signed, _body, "AKIDBENCH", "secret", "us-east-1", "kms", DateTimeOffset.UtcNow.AddMinutes(1));
        _headers = new Dictionary<string, string>(signed) { ["x-amz-date"] = date, ["authorization"] = auth };
        _verifier = new SigV4Verifier("kms", r => r == "us-east-1", k => k == "AKIDBENCH" ? "secret" : null, TimeProvider.System);

        _dir = Directory.CreateTempSubdirectory("keyward-microbench").FullName;
        var storage = new SqliteKmsStorage(Path.Combine(_dir, "k.db"));
        storage.MigrateAsync().AsTask().GetAwaiter().GetResult();
        var seal = FileSeal.Open(Path.Combine(_dir, "root.key"), create: true);
        var store = new SoftwareKeyStore(new RootKeyBarrier(seal));
        _owned = [store, seal, storage];
        _service = new KmsService(storage, store, new RootKeyBarrier(seal), new KmsOptions(), TimeProvider.System);
        _caller = Caller.Root("111122223333", Keyward.Protocol.KmsOperation.Encrypt);
        var keyId = _service.CreateKeyAsync(_caller, new CreateKeyRequest(), default).AsTask().GetAwaiter().GetResult().KeyMetadata!.KeyId!;
        _encrypt = new EncryptRequest { KeyId = keyId, Plaintext = _plaintext };
        var blob = _service.EncryptAsync(_caller, _encrypt, default).AsTask().GetAwaiter().GetResult().CiphertextBlob;
        _decrypt = new DecryptRequest { CiphertextBlob = blob };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var d in _owned) d.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "baseline: AES-256-GCM of 1 KiB")]
    public void AesGcmBaseline()
    {
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(_iv, _plaintext, _ciphertext, _tag);
    }

    [Benchmark(Description = "SigV4 verify (1.4 KiB body)")]
    public bool SigV4Verify() => _verifier.Verify(new SigV4Request("POST", "/", "", _headers.GetValueOrDefault, _body)).Succeeded;

    [Benchmark(Description = "JSON parse of EncryptRequest")]
    public object ParseEncrypt() => JsonSerializer.Deserialize(_body, KmsJsonContext.Default.EncryptRequest)!;

    [Benchmark(Description = "KmsService.Encrypt 1 KiB (cached key)")]
    public object ServiceEncrypt() => _service.EncryptAsync(_caller, _encrypt, default).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "KmsService.Decrypt 1 KiB (cached key)")]
    public object ServiceDecrypt() => _service.DecryptAsync(_caller, _decrypt, default).AsTask().GetAwaiter().GetResult();
}
