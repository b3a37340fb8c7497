namespace Keyward.Server.Hosting;

/// <summary>Everything `keyward serve` can be told. Defaults are the embedded ones.</summary>
public sealed record KmsServerOptions
{
    public string Listen { get; init; } = "http://127.0.0.1:4599";

    /// <summary>A second address for /healthz, /readyz and /metrics only (--admin-listen); they then leave <see cref="Listen"/>.</summary>
    public string? AdminListen { get; init; }
    public string DataDir { get; init; } = DefaultDataDir();

    /// <summary>
    /// A PostgreSQL database (postgresql:// URI or Npgsql connection string) shared by several nodes;
    /// null keeps the embedded SQLite database in <see cref="DataDir"/>.
    /// </summary>
    public string? Database { get; init; }

    /// <summary>With a shared database: how often custom key store connections are synced with the store records (change notices also wake it).</summary>
    public TimeSpan StoreSyncInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The home Region (KmsOptions.Region).</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Further Regions served (--regions); the home Region is always served.</summary>
    public IReadOnlyList<string> Regions { get; init; } = [];

    /// <summary>Every Region served, the home Region first.</summary>
    public IReadOnlyList<string> AllRegions => [Region, .. Regions.Where(r => r != Region).Distinct()];
    public string AccountId { get; init; } = "111122223333";

    /// <summary>The --identities file: accounts, users, roles, access keys, identity policies (docs/identities.md).</summary>
    public string? IdentitiesFile { get; init; }

    /// <summary>Bootstrap credential; when null, taken from the environment or the data directory.</summary>
    public string? AccessKeyId { get; init; }
    public string? SecretAccessKey { get; init; }

    /// <summary>PEM certificate (chain) and private key for an https:// listen address.</summary>
    public string? TlsCertificateFile { get; init; }
    public string? TlsKeyFile { get; init; }

    /// <summary>Largest request body accepted (AWS's largest legitimate input is a 128 KiB policy, escaped).</summary>
    public int MaxRequestBodyBytes { get; init; } = 1 << 20;

    /// <summary>How often the lifecycle job looks for due deletions, rotations and expired imported material.</summary>
    public TimeSpan LifecycleJobInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>False leaves the lifecycle job to explicit runs (tests that observe work before it is done).</summary>
    public bool RunLifecycleJob { get; init; } = true;

    /// <summary>PEM file of the certificate authorities XKS proxies' certificates must chain to (a private CA); null trusts the system's roots.</summary>
    public string? XksTrustedCertificateAuthoritiesFile { get; init; }

    /// <summary>Accept http:// XKS proxy endpoints (tests, or a proxy on the same host). AWS accepts only https://.</summary>
    public bool XksAllowPlainHttp { get; init; }

    /// <summary>One call to an XKS proxy times out after this (retried once on a network timeout); AWS's 250 ms when null.</summary>
    public TimeSpan? XksAttemptTimeout { get; init; }

    /// <summary>How many custom key stores one account may have (AWS's default quota: 10).</summary>
    public int CustomKeyStoresPerAccount { get; init; } = Keyward.Core.KmsOptions.DefaultCustomKeyStoresPerAccount;

    /// <summary>Request quotas per account (--request-quotas; AWS's model, docs/operations.md); <c>RequestQuotaOptions.Off</c> for none.</summary>
    public Keyward.Core.Service.RequestQuotaOptions RequestQuotas { get; init; } = new();

    /// <summary>A seed file (--seed; local-kms's format): keys and aliases made at start if missing (docs/operations.md, "Seeding").</summary>
    public string? SeedFile { get; init; }

    /// <summary>One Information line per answered request (--access-log); tests and benchmarks in process turn it off.</summary>
    public bool AccessLog { get; init; } = true;

    /// <summary>The web console at /console/ (--console; docs/console.md).</summary>
    public bool WebConsole { get; init; } = true;

    /// <summary>The log's form (--log-format): one line of text per event, or one JSON object per line.</summary>
    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary>HSM clusters for custom key stores, and the PKCS#11 seal (from the --config file).</summary>
    public Keyward.Pkcs11.HsmConfiguration? Hsm { get; init; }

    /// <summary>The clock of key lifecycles (creation dates, deletion windows). SigV4 always uses the real clock.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Where the one-time bootstrap hint and start-up notices are written (stdout by default).</summary>
    public TextWriter? Console { get; init; }

    /// <summary><see cref="Console"/>, or standard output.</summary>
    public TextWriter Output => Console ?? System.Console.Out;

    public static string DefaultDataDir() =>
        Environment.GetEnvironmentVariable("KEYWARD_DATA_DIR") is { Length: > 0 } d ? d : Path.Combine(Environment.CurrentDirectory, ".keyward");
}

public enum LogFormat { Text, Json }
