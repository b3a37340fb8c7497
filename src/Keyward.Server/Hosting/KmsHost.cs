using Keyward.Core;
using Keyward.Core.Identity;
using Keyward.Core.KeyStores;
using Keyward.Core.Seal;
using Keyward.Core.Service;
using Keyward.Core.Storage;
using Keyward.Pkcs11;
using Keyward.Protocol.SigV4;
using Keyward.Server.Dispatch;
using Keyward.Server.Jobs;
using Keyward.Storage.Postgres;
using Keyward.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keyward.Server.Hosting;

/// <summary>
/// The composition root of `keyward serve`, reused by the tests: storage → seal → barrier →
/// key store → service → HTTP. Start-up refuses to continue (nothing written) when the seal
/// does not hold the root key the database was created with.
/// </summary>
public sealed class KmsHost : IAsyncDisposable
{
    public const string DatabaseFile = "keyward.db";
    public const string RootKeyFile = "root.key";

    private readonly WebApplication _app;
    private readonly IKmsStorage _storage;
    private readonly ISeal _seal;
    private readonly SoftwareKeyStore _keyStore;
    private readonly KmsService _service;

    /// <summary>The bound on RSA key pair generation (its peak concurrency, for tests).</summary>
    internal Keyward.Core.Crypto.KeyPairGeneration KeyPairs => _service.KeyPairs;
    private readonly KeyLifecycleJob _lifecycleJob;
    private readonly Keyward.Core.Audit.AuditLog _auditLog;
    private readonly DataDirectoryLock _dataLock;

    public const string AuditJournalFile = "audit.journal";
    private readonly CustomKeyStoreSyncJob? _storeSync;

    /// <summary>The address actually bound (useful with port 0).</summary>
    public Uri Url { get; private set; } = null!;

    private Operations.AdminListener? _admin;

    /// <summary>The --admin-listen address actually bound, or null when the ops endpoints are on <see cref="Url"/>.</summary>
    public Uri? AdminUrl => _admin?.Url;

    /// <summary>This process's name in job leases: host, process id and a random part (a restarted process is a new node).</summary>
    public static readonly string NodeName = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";

    private KmsHost(WebApplication app, IKmsStorage storage, ISeal seal, SoftwareKeyStore keyStore, KmsService service, KeyLifecycleJob job,
        CustomKeyStoreSyncJob? storeSync, Keyward.Core.Audit.AuditLog auditLog, DataDirectoryLock dataLock)
    {
        _auditLog = auditLog;
        _dataLock = dataLock;
        _storeSync = storeSync;
        _service = service;
        _app = app;
        _storage = storage;
        _seal = seal;
        _keyStore = keyStore;
        _lifecycleJob = job;
    }

    public static async Task<KmsHost> StartAsync(KmsServerOptions options, CancellationToken ct = default)
    {
        // The request path's SHA-256, HMAC, HKDF and AES-GCM run on libcrypto directly (Keyward.OpenSsl).
        if (Keyward.OpenSsl.SelfTest.Run() is { } broken) throw new ServerConfigurationException($"libcrypto: {broken}.");
        CheckListenAddress(options.Listen, "--listen");
        if (options.AdminListen is { } adminListen)
        {
            if (adminListen == options.Listen) throw new ServerConfigurationException("--admin-listen must be another address than --listen");
            CheckListenAddress(adminListen, "--admin-listen");
            if (adminListen.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && options.TlsCertificateFile is null)
                throw new ServerConfigurationException("An https:// --admin-listen address needs --tls-cert and --tls-key (PEM files).");
        }
        // Read before anything is written: a seed file that is not valid stops the start with one line.
        var seed = options.SeedFile is { } seedFile ? SeedFile.Load(seedFile) : default;
        var identities = LoadIdentities(options);
        var certificate = ServerTls.Load(options);
        // Before anything is written: a second process on this directory is refused here.
        var dataLock = DataDirectoryLock.Acquire(options.DataDir, "serve");
        OwnerOnly(options);
        IKmsStorage storage;
        try { storage = OpenStorage(options); }
        catch
        {
            dataLock.Dispose();
            throw;
        }
        ISeal? seal = null;
        KmsService? service = null;
        Keyward.Core.Audit.AuditLog? auditLog = null;
        try
        {
            // A root key rotation a crash cut short is finished or undone before the seal is opened.
            await SealRotationCommand.RecoverAsync(options, storage, options.Output, ct);
            // The seal is checked before anything is written, migrations included.
            var check = await storage.GetSettingAsync(RootKeyBarrier.CheckSetting, ct);
            seal = OpenSeal(options, create: check is null);
            var barrier = new RootKeyBarrier(seal);
            if (check is not null) RequireSameRootKey(barrier, check);
            await storage.MigrateAsync(ct);
            // Rows from before Regions were known belong to the one Region the server named then: its home Region.
            await storage.AdoptRegionlessRowsAsync(options.Region, ct);
            // A first start stores the check value; if another process won that race, its value must match too.
            if (check is null) RequireSameRootKey(barrier, await storage.GetOrAddSettingAsync(RootKeyBarrier.CheckSetting, barrier.CreateCheckValue(), ct));
            // The audit log records key usage from the first start on (GetKeyLastUsage's TrackingStartDate).
            await storage.GetOrAddSettingAsync(KmsService.TrackingStartSetting, BitConverter.GetBytes(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ct);

            var keyStore = new SoftwareKeyStore(barrier);
            var kms = new KmsOptions
            {
                Region = options.Region, Regions = options.AllRegions, CustomKeyStoresPerAccount = options.CustomKeyStoresPerAccount,
            };
            // HSM state changes go to the log once it exists (the app is built below).
            ILogger? hsmLogger = null;
            var hsmClusters = new HsmClusters(options.Hsm?.Clusters ?? [], message => hsmLogger?.LogWarning("{Message}", message));
            var xksProxies = new Keyward.Xks.XksProxies(options.Region, options.XksTrustedCertificateAuthoritiesFile, options.XksAllowPlainHttp,
                attemptTimeout: options.XksAttemptTimeout);
            service = new KmsService(storage, keyStore, barrier, kms, options.Clock, hsmClusters, xksProxies,
                new RequestQuotas(options.RequestQuotas));
            if (storage is PostgresKmsStorage shared)
            {
                // Other nodes write too: follow their changes, and connect the stores they connected.
                service.Follow(shared);
                shared.StartChangeFeed();
                await service.SyncCustomKeyStoresAsync(ct);
            }
            else await service.ReconnectCustomKeyStoresAsync(ct);
            if (options.SeedFile is not null)
            {
                try
                {
                    var (created, unchanged) = await service.SeedAsync(options.AccountId, seed.Keys, seed.Aliases, ct);
                    options.Output.WriteLine($"keyward: seeded from {options.SeedFile}: {created} created, {unchanged} already there.");
                }
                catch (SeedConflictException e) { throw new ServerConfigurationException($"the seed file {options.SeedFile}: {e.Message}."); }
            }
            var bootstrap = BootstrapCredential.Load(options);
            if (identities.Any(c => c.AccessKeyId == bootstrap.AccessKeyId))
                throw new ServerConfigurationException($"{options.IdentitiesFile} reuses the bootstrap credential's access key id {bootstrap.AccessKeyId}.");
            var credentials = new CredentialStore([bootstrap, .. identities]);
            SigV4Verifier Verifier(string service) =>
                new(service, kms.Serves, credentials.SecretOf, TimeProvider.System, "x-amz-target");
            var verifier = Verifier("kms");
            var trailVerifier = Verifier(Keyward.Protocol.CloudTrail.CloudTrailTarget.SigningName);

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            if (options.LogFormat == LogFormat.Json)
                builder.Logging.AddJsonConsole(o => { o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; o.UseUtcTimestamp = true; });
            else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            // A start that fails (a port in use) surfaces as an exception from StartAsync, which serve reports in one
            // line; the host's own log of it is a multi-kilobyte stack trace before that line.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
            // ASP.NET Core starts a System.Diagnostics.Activity (and a log scope) for every request while this category
            // is enabled at any level: about a microsecond per request, for scopes the single-line console never shows.
            // The handler logs every failure itself (Log.cs) with the request id.
            builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
            builder.WebHost.UseUrls(options.Listen);
            if (certificate is not null) builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                // The handler enforces its own limit so it can answer with an AWS-shaped error.
                k.Limits.MaxRequestBodySize = null;
                if (certificate is not null) k.ConfigureHttpsDefaults(https => ServerTls.Configure(https, certificate));
            });
            var app = builder.Build();
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Keyward.Kms");
            hsmLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Keyward.Hsm");
            // The journal lives with the node (its data directory); its entries go into the database's chain.
            auditLog = new Keyward.Core.Audit.AuditLog(storage, new Keyward.Core.Audit.AuditJournal(Path.Combine(options.DataDir, AuditJournalFile)));
            auditLog.IndexFailed += e => Log.AuditIndexFailed(logger, e.GetType().Name, e is StorageUnavailableException ? e.InnerException?.Message ?? e.Message : e.Message);
            auditLog.EntryRejected += (journal, offset, aside) => Log.AuditEntryRejected(logger, journal, offset, aside);
            await auditLog.StartAsync(ct);
            service.FlushAudit = auditLog.FlushAsync;
            var metrics = new Operations.ServerMetrics(service, auditLog, storage);
            var handler = new KmsRequestHandler(new KmsDispatcher(service), verifier, credentials, options.MaxRequestBodyBytes,
                new Audit.AuditRecorder(auditLog, options.Region), logger, metrics,
                options.AccessLog ? new Operations.AccessLog(options.LogFormat) : null,
                (trailVerifier, new Audit.CloudTrailLookup(service, storage)));
            // GET /healthz, /readyz and /metrics answer without SigV4 (on --admin-listen if given); the rest is the KMS API.
            var ops = new Operations.OpsEndpoints(storage, barrier, auditLog, metrics);
            if (options.AdminListen is null) app.Use((context, next) => ops.TryHandle(context, out var handled) ? handled : next(context));
            if (options.WebConsole)
            {
                var console = new WebConsole.ConsoleEndpoint(options.Region);
                app.Use((context, next) => console.TryHandle(context, out var handled) ? handled : next(context));
            }
            app.Run(handler.HandleAsync);

            var job = new KeyLifecycleJob(service, storage, NodeName, options.LifecycleJobInterval, logger);
            var storeSync = storage is PostgresKmsStorage ? new CustomKeyStoreSyncJob(service, options.StoreSyncInterval, logger) : null;
            var host = new KmsHost(app, storage, seal, keyStore, service, job, storeSync, auditLog, dataLock);
            await app.StartAsync(ct);
            host.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            if (options.AdminListen is { } admin)
            {
                try
                {
                    host._admin = await Operations.AdminListener.StartAsync(admin, ops,
                        admin.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? certificate : null, ct);
                }
                catch
                {
                    await app.StopAsync(CancellationToken.None);
                    await app.DisposeAsync();
                    throw;
                }
            }
            if (options.RunLifecycleJob) job.Start();
            storeSync?.Start();
            Log.Started(logger, host.Url.ToString(), options.AccountId, string.Join(", ", options.AllRegions), DescribeStorage(options, storage), seal.Description);
            if (host.AdminUrl is { } adminUrl) Log.AdminListening(logger, adminUrl.ToString());
            return host;
        }
        catch
        {
            // Custom key stores reconnected at start-up hold HSM sessions and health timers.
            if (auditLog is not null) await auditLog.DisposeAsync();
            service?.Dispose();
            seal?.Dispose();
            storage.Dispose();
            dataLock.Dispose();
            throw;
        }
    }

    /// <summary>Waits until every audit event so far is in the database (tests; the indexer runs on its own).</summary>
    public Task FlushAuditAsync() => _auditLog.FlushAsync(CancellationToken.None);

    /// <summary>Runs the lifecycle job once, now (tests; the job also runs on its own).</summary>
    public Task<LifecycleRun> RunLifecycleJobAsync() => _lifecycleJob.RunOnceAsync();

    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _lifecycleJob.DisposeAsync();
        if (_storeSync is not null) await _storeSync.DisposeAsync();
        if (_admin is not null) await _admin.DisposeAsync();
        await _app.StopAsync();
        await _auditLog.DisposeAsync();
        await _app.DisposeAsync();
        _service.Dispose();
        _keyStore.Dispose();
        _seal.Dispose();
        _storage.Dispose();
        // Last: the directory is free only once everything above has let go of it.
        _dataLock.Dispose();
    }

    /// <summary>The --identities file, read before anything is written (its reuse of the bootstrap key is checked later).</summary>
    private static IReadOnlyList<Credential> LoadIdentities(KmsServerOptions options)
    {
        if (options.IdentitiesFile is not { } file) return [];
        try { return IdentityConfiguration.Load(file); }
        catch (IdentityConfigurationException e) { throw new ServerConfigurationException(e.Message); }
        catch (IOException e) { throw new ServerConfigurationException($"cannot read {file}: {e.Message}"); }
    }

    /// <summary>PostgreSQL when <see cref="KmsServerOptions.Database"/> names one, else SQLite in the data directory.</summary>
    public static IKmsStorage OpenStorage(KmsServerOptions options)
    {
        if (options.Database is { } database)
        {
            try { return new PostgresKmsStorage(database); }
            catch (ArgumentException e) { throw new ServerConfigurationException(e.Message.StartsWith("--database", StringComparison.Ordinal) ? e.Message : $"--database: {e.Message}"); }
        }
        CreatePrivateDirectory(options.DataDir);
        return new SqliteKmsStorage(Path.Combine(options.DataDir, DatabaseFile));
    }

    private static string DescribeStorage(KmsServerOptions options, IKmsStorage storage) => storage is PostgresKmsStorage pg
        ? $"database {pg.Description}, data {options.DataDir}"
        : $"data {options.DataDir}";

    /// <summary>The PKCS#11 seal when the configuration names one, else the file seal in the data directory.</summary>
    public static ISeal OpenSeal(KmsServerOptions options, bool create) => options.Hsm?.Seal is { } hsmSeal
        ? Pkcs11Seal.Open(hsmSeal, create)
        : FileSeal.Open(Path.Combine(options.DataDir, RootKeyFile), create);

    private static void RequireSameRootKey(RootKeyBarrier barrier, byte[] check)
    {
        if (!barrier.Verify(check))
            throw new SealException("The root key of the seal does not match this database. Refusing to start.");
    }

    /// <summary>Kestrel's own parser, before anything is written: a bad address is a one-line error, not a crash after set-up.</summary>
    private static void CheckListenAddress(string listen, string option)
    {
        Microsoft.AspNetCore.Http.BindingAddress address;
        try
        {
            address = Microsoft.AspNetCore.Http.BindingAddress.Parse(listen);
            // The port must be written, and be a number (the parser takes "host:text" for a host name).
            var port = ":" + address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var hostWithColon = address.Host.Contains(':', StringComparison.Ordinal) && !address.Host.StartsWith('[');
            if (address.IsUnixPipe || address.Scheme is not ("http" or "https") || hostWithColon
                || !listen.TrimEnd('/').EndsWith(port, StringComparison.Ordinal))
                throw new FormatException();
        }
        catch (FormatException)
        {
            throw new ServerConfigurationException($"{option} must be an http:// or https:// address with a host and a port (http://127.0.0.1:4599), not '{listen}'");
        }
        RequireFreePort(address, listen);
    }

    /// <summary>
    /// A port another process listens on is found here, before the data directory or a credential is written (Kestrel
    /// would find it only after). A trial bind with SO_REUSEADDR, as Kestrel binds: a port in TIME_WAIT is free.
    /// </summary>
    private static void RequireFreePort(Microsoft.AspNetCore.Http.BindingAddress address, string listen)
    {
        if (address.Port == 0) return;
        var host = address.Host.Trim('[', ']');
        var ip = host is "localhost" ? System.Net.IPAddress.Loopback
            : host is "*" or "+" ? System.Net.IPAddress.Any
            : System.Net.IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (ip is null) return; // a host name: Kestrel resolves it, and reports a failure itself
        using var trial = new System.Net.Sockets.Socket(ip.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        trial.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, true);
        try { trial.Bind(new System.Net.IPEndPoint(ip, address.Port)); }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode is System.Net.Sockets.SocketError.AddressAlreadyInUse
                                                               or System.Net.Sockets.SocketError.AccessDenied)
        {
            throw new ServerConfigurationException($"cannot listen on {listen}: " +
                (e.SocketErrorCode == System.Net.Sockets.SocketError.AccessDenied ? "permission denied" : "the address is already in use"));
        }
        catch (System.Net.Sockets.SocketException) { } // anything else (an address not on this host): Kestrel's to report
    }

    /// <summary>
    /// The data directory 0700 and everything in it 0600, whatever the umask or an earlier version left. The SQLite
    /// database is created here empty (an empty file is an empty database) so that SQLite, which gives its -wal and
    /// -shm files the database file's mode, makes those 0600 too.
    /// </summary>
    private static void OwnerOnly(KmsServerOptions options)
    {
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(options.DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var database = Path.Combine(options.DataDir, DatabaseFile);
        if (options.Database is null && !File.Exists(database))
            PrivateFile.Open(database, FileMode.CreateNew, FileAccess.Write).Dispose();
        foreach (var file in Directory.EnumerateFiles(options.DataDir))
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    internal static void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
