using Amazon.KeyManagementService;
using Amazon.Runtime;
using Keyward.Server.Hosting;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real `keyward serve` host on 127.0.0.1 (an ephemeral port) with a fresh data directory,
/// shared by the tests of a collection. Clients are unmodified: the AWS SDK for .NET, the aws
/// CLI, boto3, raw HTTP signed with SigV4.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime, IAsyncDisposable
{
    public const string AccessKeyId = "AKIAKEYWARDTEST00001";
    public const string SecretAccessKey = "keyward/test/secret/0123456789abcdefghijk";
    public const string Region = "us-east-1";
    public const string Account = "111122223333";

    public ManualClock Clock { get; } = new();

    /// <summary>False: the lifecycle job runs only when a test calls <c>Host.RunLifecycleJobAsync</c>.</summary>
    public bool LifecycleJob { get; init; } = true;
    // Made on first use: a fixture given a data directory leaves no empty temporary one behind.
    private string? _dataDir;
    public string DataDir
    {
        get => _dataDir ??= Directory.CreateTempSubdirectory("keyward-e2e").FullName;
        init => _dataDir = value;
    }

    /// <summary>HSM clusters and the PKCS#11 seal, as `--config` gives them.</summary>
    internal Keyward.Pkcs11.HsmConfiguration? Hsm { get; init; }

    /// <summary>The --identities file (accounts, users, roles, identity policies).</summary>
    public string? IdentitiesFile { get; init; }

    /// <summary>Accept http:// XKS proxy endpoints (the test proxies listen on plain HTTP).</summary>
    public bool XksAllowPlainHttp { get; init; }

    /// <summary>Custom key stores per account (the server's default when null).</summary>
    public int? CustomKeyStoresPerAccount { get; init; }

    /// <summary>One XKS proxy call's timeout (AWS's 250 ms when null).</summary>
    public TimeSpan? XksAttemptTimeout { get; init; }

    /// <summary>PEM certificate authorities for https:// XKS proxies.</summary>
    public string? XksCaFile { get; init; }

    /// <summary>
    /// Request quotas. Off unless a test asks: whether a burst of calls crosses a quota depends on the machine's speed,
    /// and a test must not (QuotaTests set their own, and check the defaults).
    /// </summary>
    public Keyward.Core.Service.RequestQuotaOptions RequestQuotas { get; init; } = Keyward.Core.Service.RequestQuotaOptions.Off;

    /// <summary>False keeps the data directory when the server stops (restart tests).</summary>
    public bool DeleteDataDir { get; init; } = true;

    /// <summary>The server's home Region (--region).</summary>
    public string HomeRegion { get; init; } = Region;

    /// <summary>Regions served besides the home Region (--regions).</summary>
    public IReadOnlyList<string> Regions { get; init; } = [];

    /// <summary>The web console at /console/ (on by default, as in keyward serve).</summary>
    public bool WebConsole { get; init; } = true;
    internal KmsHost Host { get; private set; } = null!;
    public Uri Url => Host.Url;

    public async Task InitializeAsync()
    {
        Host = await KmsHost.StartAsync(new KmsServerOptions
        {
            Listen = "http://127.0.0.1:0",
            DataDir = DataDir,
            AccessKeyId = AccessKeyId,
            SecretAccessKey = SecretAccessKey,
            Clock = Clock,
            LifecycleJobInterval = TimeSpan.FromMilliseconds(200),
            RunLifecycleJob = LifecycleJob,
            Console = TextWriter.Null,
            Hsm = Hsm,
            IdentitiesFile = IdentitiesFile,
            XksAllowPlainHttp = XksAllowPlainHttp,
            CustomKeyStoresPerAccount = CustomKeyStoresPerAccount ?? Keyward.Core.KmsOptions.DefaultCustomKeyStoresPerAccount,
            XksTrustedCertificateAuthoritiesFile = XksCaFile,
            XksAttemptTimeout = XksAttemptTimeout,
            RequestQuotas = RequestQuotas,
            WebConsole = WebConsole,
            Region = HomeRegion,
            Regions = Regions,
            AccessLog = false, // the in-process servers' console is the test runner's; KeywardProcess keeps the default
        });
    }

    /// <summary>A client signing for <paramref name="region"/> (the home Region when null).</summary>
    public AmazonKeyManagementServiceClient Client(string? accessKeyId = null, string? secret = null, string? region = null) =>
        new(new BasicAWSCredentials(accessKeyId ?? AccessKeyId, secret ?? SecretAccessKey), new AmazonKeyManagementServiceConfig
        {
            ServiceURL = Url.ToString(),
            AuthenticationRegion = region ?? HomeRegion,
            MaxErrorRetry = 0,
        });

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        if (!DeleteDataDir) return;
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
