using System.Text.RegularExpressions;
using Amazon.KeyManagementService;
using Amazon.Runtime;
using Keyward.Tests.Shared;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Several `keyward serve` processes on one PostgreSQL database (the tests' private server), each with
/// its own data directory holding a copy of the first node's root key file (the file seal), and
/// optionally nginx round-robin in front. Nodes keep their ports across a kill and restart.
/// </summary>
public sealed class NodeCluster : IAsyncDisposable
{
    private readonly string[] _dataDirs;
    private readonly int[] _ports;
    private readonly string[] _args;
    private readonly Func<int, IEnumerable<string>>? _nodeArgs;
    private readonly Dictionary<string, string> _env;
    private readonly KeywardProcess?[] _nodes;

    internal PostgresServer Postgres { get; }
    public string Database { get; }
    public string DatabaseUri => Postgres.Uri(Database);
    public Nginx? Balancer { get; private set; }

    private NodeCluster(PostgresServer postgres, string database, int count, string[] args, IDictionary<string, string>? env,
        Func<int, IEnumerable<string>>? nodeArgs)
    {
        Postgres = postgres;
        Database = database;
        _args = args;
        _nodeArgs = nodeArgs;
        _env = new Dictionary<string, string>(env ?? new Dictionary<string, string>()) { ["KEYWARD_DATABASE"] = postgres.Uri(database) };
        _dataDirs = Enumerable.Range(0, count).Select(_ => Directory.CreateTempSubdirectory("keyward-node").FullName).ToArray();
        _ports = Enumerable.Range(0, count).Select(_ => KeywardProcess.FreePort()).ToArray();
        _nodes = new KeywardProcess?[count];
    }

    /// <param name="lifecycleInterval">Seconds between lifecycle passes on each node.</param>
    /// <param name="env">More environment for every node (SOFTHSM2_CONF…).</param>
    /// <param name="args">More `serve` options for every node (--config…).</param>
    /// <param name="nodeArgs">More `serve` options for node i (--region…).</param>
    public static async Task<NodeCluster> StartAsync(int nodes = 2, bool balancer = false, double lifecycleInterval = 60,
        IDictionary<string, string>? env = null, IEnumerable<string>? args = null, Func<int, IEnumerable<string>>? nodeArgs = null)
    {
        var postgres = await PostgresServer.Instance;
        var database = await postgres.NewDatabaseAsync("cluster");
        var cluster = new NodeCluster(postgres, database, nodes,
            ["--lifecycle-interval", lifecycleInterval.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args ?? []], env, nodeArgs);
        try
        {
            // The first node creates the root key; the others get a copy of its file, as docs/multi-node.md says.
            await cluster.StartNodeAsync(0);
            for (var i = 1; i < nodes; i++)
            {
                var target = Path.Combine(cluster._dataDirs[i], "root.key");
                File.Copy(Path.Combine(cluster._dataDirs[0], "root.key"), target);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                await cluster.StartNodeAsync(i);
            }
            if (balancer) cluster.Balancer = await Nginx.StartAsync(cluster._ports.Select(p => new Uri($"http://127.0.0.1:{p}")));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public KeywardProcess Node(int i) => _nodes[i] ?? throw new InvalidOperationException($"node {i} is not running");

    public string DataDir(int i) => _dataDirs[i];

    public async Task StartNodeAsync(int i) =>
        _nodes[i] = await KeywardProcess.StartAsync(_dataDirs[i], _ports[i], _env, args: [.. _args, .. _nodeArgs?.Invoke(i) ?? []]);

    /// <summary>SIGKILL: the node stops mid-request, as in a crash or power cut.</summary>
    public async Task KillNodeAsync(int i)
    {
        await Node(i).KillAsync();
    }

    public AmazonKeyManagementServiceClient Client(int node, string? region = null) => Node(node).Client(region);

    /// <summary>A client of the load balancer; the SDK does not retry, so every failure is seen.</summary>
    public AmazonKeyManagementServiceClient BalancedClient() =>
        new(new BasicAWSCredentials(ServerFixture.AccessKeyId, ServerFixture.SecretAccessKey), new AmazonKeyManagementServiceConfig
        {
            ServiceURL = (Balancer ?? throw new InvalidOperationException("no balancer")).Url.ToString(),
            AuthenticationRegion = ServerFixture.Region,
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(30),
        });

    /// <summary>The sum of "Deleted N KMS key(s)" over the nodes' logs.</summary>
    public int DeletedKeysLogged() => _nodes.Where(n => n is not null)
        .Sum(n => Regex.Matches(n!.Output, @"Deleted (\d+) KMS key\(s\)").Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));

    public async ValueTask DisposeAsync()
    {
        if (Balancer is not null) await Balancer.DisposeAsync();
        foreach (var n in _nodes) if (n is not null) await n.DisposeAsync();
        foreach (var d in _dataDirs) try { Directory.Delete(d, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// The test classes that use the shared private PostgreSQL server run one after another: one of them
/// restarts the server under load, which must not cut the others off.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection
{
    public const string Name = "postgres";
}
