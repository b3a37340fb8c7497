using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Keyward.Core;
using Keyward.Core.Identity;
using Keyward.Core.KeyStores;
using Keyward.Core.Seal;
using Keyward.Core.Service;
using Keyward.Protocol.Operations;
using Keyward.Storage.Sqlite;

namespace Keyward.MicroBench;

/// <summary>
/// KmsService.Sign and GenerateMac with a cached key, each against the bare BCL operation on a
/// key held in process (its category's baseline): what Keyward adds to the cryptography itself.
/// The message is 256 bytes, RAW (hashed, then signed).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SigningBenchmarks
{
    private readonly byte[] _message = RandomNumberGenerator.GetBytes(256);
    private readonly byte[] _macKey = RandomNumberGenerator.GetBytes(32);
    private readonly ECDsa _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly RSA _rsa = RSA.Create(2048);
    private KmsService _service = null!;
    private Caller _caller = null!;
    private SignRequest _signEc = null!;
    private SignRequest _signRsa = null!;
    private GenerateMacRequest _mac = null!;
    private string _dir = null!;
    private IDisposable[] _owned = [];

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("keyward-microbench").FullName;
        var storage = new SqliteKmsStorage(Path.Combine(_dir, "k.db"));
        storage.MigrateAsync().AsTask().GetAwaiter().GetResult();
        var seal = FileSeal.Open(Path.Combine(_dir, "root.key"), create: true);
        var store = new SoftwareKeyStore(new RootKeyBarrier(seal));
        _owned = [store, seal, storage, _ecdsa, _rsa];
        _service = new KmsService(storage, store, new RootKeyBarrier(seal), new KmsOptions(), TimeProvider.System);
        _caller = Caller.Root("111122223333", Keyward.Protocol.KmsOperation.Encrypt);
        string Key(string spec, string usage) => _service.CreateKeyAsync(_caller, new CreateKeyRequest { KeySpec = spec, KeyUsage = usage }, default)
            .AsTask().GetAwaiter().GetResult().KeyMetadata!.KeyId!;
        _signEc = new SignRequest { KeyId = Key("ECC_NIST_P256", "SIGN_VERIFY"), Message = _message, SigningAlgorithm = "ECDSA_SHA_256" };
        _signRsa = new SignRequest { KeyId = Key("RSA_2048", "SIGN_VERIFY"), Message = _message, SigningAlgorithm = "RSASSA_PKCS1_V1_5_SHA_256" };
        _mac = new GenerateMacRequest { KeyId = Key("HMAC_256", "GENERATE_VERIFY_MAC"), Message = _message, MacAlgorithm = "HMAC_SHA_256" };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var d in _owned) d.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "BCL: SHA-256 + ECDSA P-256 sign"), BenchmarkCategory("ECDSA")]
    public byte[] EcdsaBaseline() => _ecdsa.SignHash(SHA256.HashData(_message), DSASignatureFormat.Rfc3279DerSequence);

    [Benchmark(Description = "KmsService.Sign ECC_NIST_P256"), BenchmarkCategory("ECDSA")]
    public object ServiceSignEc() => _service.SignAsync(_caller, _signEc, default).AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "BCL: SHA-256 + RSA-2048 PKCS#1 sign"), BenchmarkCategory("RSA")]
    public byte[] RsaBaseline() => _rsa.SignHash(SHA256.HashData(_message), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    [Benchmark(Description = "KmsService.Sign RSA_2048"), BenchmarkCategory("RSA")]
    public object ServiceSignRsa() => _service.SignAsync(_caller, _signRsa, default).AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "BCL: HMAC-SHA-256"), BenchmarkCategory("HMAC")]
    public byte[] HmacBaseline() => HMACSHA256.HashData(_macKey, _message);

    [Benchmark(Description = "KmsService.GenerateMac HMAC_256"), BenchmarkCategory("HMAC")]
    public object ServiceMac() => _service.GenerateMacAsync(_caller, _mac, default).AsTask().GetAwaiter().GetResult();
}
