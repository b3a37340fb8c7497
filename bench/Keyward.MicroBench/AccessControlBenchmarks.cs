using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Keyward.Bench;
using Keyward.Core;
using Keyward.Core.Audit;
using Keyward.Core.Identity;
using Keyward.Core.KeyStores;
using Keyward.Core.Policies;
using Keyward.Core.Seal;
using Keyward.Core.Service;
using Keyward.Protocol;
using Keyward.Protocol.Operations;
using Keyward.Server.Audit;
using Keyward.Storage.Sqlite;

namespace Keyward.MicroBench;

/// <summary>
/// What access control and the audit log add to one Encrypt, in process: the service call as the account
/// root under the default key policy (the baseline) and as an IAM user under <see cref="BenchPolicy"/> (that of `bench/run policy`);
/// building and journaling the audit event; and indexing events into the SQLite hash chain (per event, from
/// batches of 256 as the indexer writes them).
/// </summary>
[MemoryDiagnoser]
public class AccessControlBenchmarks
{

    private readonly byte[] _plaintext = RandomNumberGenerator.GetBytes(1024);
    private readonly Dictionary<string, string> _context = new() { ["app"] = "billing" };
    private KmsService _service = null!;
    private Caller _root = null!;
    private Principal _user = null!;
    private EncryptRequest _encrypt = null!;
    private byte[] _body = null!;
    private SqliteKmsStorage _storage = null!;
    private AuditLog _log = null!;
    private AuditRecorder _recorder = null!;
    private AuditEvent[] _batch = null!;
    private string _dir = null!;
    private IDisposable[] _owned = [];
    private long _offset;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("keyward-microbench").FullName;
        _storage = new SqliteKmsStorage(Path.Combine(_dir, "k.db"));
        _storage.MigrateAsync().AsTask().GetAwaiter().GetResult();
        var seal = FileSeal.Open(Path.Combine(_dir, "root.key"), create: true);
        var store = new SoftwareKeyStore(new RootKeyBarrier(seal));
        _owned = [store, seal, _storage];
        _service = new KmsService(_storage, store, new RootKeyBarrier(seal), new KmsOptions(), TimeProvider.System);
        _root = Caller.Root("111122223333", KmsOperation.Encrypt);
        _user = new Principal("111122223333", "arn:aws:iam::111122223333:user/app")
        {
            Policies = [PolicyDocument.Parse("""{ "Statement": { "Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*" } }""", keyPolicy: false)],
        };
        var keyId = _service.CreateKeyAsync(_root with { Operation = KmsOperation.CreateKey }, new CreateKeyRequest { Policy = BenchPolicy.Json }, default)
            .AsTask().GetAwaiter().GetResult().KeyMetadata!.KeyId!;
        _encrypt = new EncryptRequest { KeyId = keyId, Plaintext = _plaintext, EncryptionContext = _context };
        _body = Encoding.UTF8.GetBytes($$$"""{"KeyId":"{{{keyId}}}","Plaintext":"{{{Convert.ToBase64String(_plaintext)}}}","EncryptionContext":{"app":"billing"}}""");
        // The log's indexer is not started: RecordEvent measures the request's share (event and journal write) alone.
        _log = new AuditLog(_storage, new AuditJournal(Path.Combine(_dir, "audit.journal")));
        _recorder = new AuditRecorder(_log, "us-east-1");
        var caller = UserCaller();
        caller.Audit.Touch($"arn:aws:kms:us-east-1:111122223333:key/{keyId}");
        _batch = Enumerable.Range(0, 256).Select(_ => EventOf(caller)).ToArray();
    }

    private AuditEvent EventOf(Caller caller)
    {
        var path = Path.Combine(_dir, "one.journal");
        File.Delete(path);
        var log = new AuditLog(_storage, new AuditJournal(path));
        new AuditRecorder(log, "us-east-1").Record(caller, Guid.NewGuid().ToString("D"), _body, null, null);
        using var journal = new AuditJournal(path);
        var e = journal.Read(0, 1).Events[0];
        log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return e;
    }

    private Caller UserCaller() => new(_user, KmsOperation.Encrypt)
    {
        SourceIp = "127.0.0.1", UserAgent = "aws-sdk-dotnet-coreclr/4.0", AccessKeyId = "AKIABENCHUSER0000001", EncryptionContext = _context,
    };

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var d in _owned) d.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "KmsService.Encrypt 1 KiB as the account root")]
    public object EncryptAsRoot() => _service.EncryptAsync(_root, _encrypt, default).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "KmsService.Encrypt 1 KiB as an IAM user (policy with conditions)")]
    public object EncryptAsUser() => _service.EncryptAsync(UserCaller(), _encrypt, default).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "audit: build the event and append it to the journal")]
    public void RecordEvent() => _recorder.Record(UserCaller(), "c0ffee00-0000-4000-8000-000000000000", _body, null, null);

    [Benchmark(Description = "audit: index one event (batches of 256 into SQLite)", OperationsPerInvoke = 256)]
    public void IndexEvents() => _storage.AppendAuditEventsAsync(_batch, "bench", ++_offset).AsTask().GetAwaiter().GetResult();
}
