using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Keyward.Tests.Shared;

/// <summary>
/// A private PostgreSQL server for the tests, from Debian's postgresql package (scripts/test installs
/// it): initdb into a temporary directory, pg_ctl start on a free loopback port, no system service
/// involved. As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
/// TCP logins need the password (scram-sha-256), as a real deployment would. Each caller asks for a
/// fresh database with <see cref="NewDatabaseAsync"/>.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    public const string User = "keyward";
    public const string Password = "keyward-test-password";

    private static readonly Lazy<Task<PostgresServer>> Shared = new(() => StartAsync(logStatements: true));

    /// <summary>One server per test process, started on first use and stopped when the process exits.</summary>
    public static Task<PostgresServer> Instance => Shared.Value;

    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _logStatements;
    private int _databases;

    public int Port { get; }
    private string DataDir => Path.Combine(_dir, "data");
    private string LogFile => Path.Combine(_dir, "server.log");

    private PostgresServer(string bin, string dir, int port, bool logStatements)
    {
        _logStatements = logStatements;
        _bin = bin;
        _dir = dir;
        Port = port;
    }

    /// <summary>A postgresql:// URI with user and password, as `keyward serve --database` takes it.</summary>
    public string Uri(string database) => $"postgresql://{User}:{Password}@127.0.0.1:{Port}/{database}";

    /// <summary>The same as an Npgsql connection string.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Password={Password};Database={database}";

    /// <param name="logStatements">Log every statement to the server log (tests count round trips with
    /// <see cref="ServerLog"/>); off for benchmarks.</param>
    public static async Task<PostgresServer> StartAsync(bool logStatements = false)
    {
        var bin = FindBin();
        var dir = Path.Combine(Path.GetTempPath(), $"keyward-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var pwfile = Path.Combine(dir, "pw");
        await File.WriteAllTextAsync(pwfile, Password + "\n");
        if (IsRoot) await RunAsync("chown", ["-R", "postgres:postgres", dir]);
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", Path.Combine(dir, "data"), "-U", User, "--pwfile", pwfile, "-E", "UTF8",
            "--locale", "C.UTF-8", "--auth-local", "trust", "--auth-host", "scram-sha-256"], asPostgres: true);
        var server = new PostgresServer(bin, dir, FreePort(), logStatements);
        await server.StartServerAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopAsync("immediate").AsTask().Wait(TimeSpan.FromSeconds(20));
        return server;
    }

    /// <summary>Starts the server (again) on the same data and port; waits until it accepts connections.</summary>
    public async ValueTask StartServerAsync() =>
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-l", LogFile, "-w", "-t", "60", "-o",
            $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {_dir} -c listen_addresses=127.0.0.1 -c max_connections=300" +
            (_logStatements ? " -c log_statement=all" : ""), "start"], asPostgres: true);

    /// <summary>The server's log so far (with statement logging: every statement every client ran).</summary>
    public string ServerLog()
    {
        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Stops the server: "fast" (clients are disconnected) or "immediate" (as a crash).</summary>
    public async ValueTask StopAsync(string mode = "fast")
    {
        if (!File.Exists(Path.Combine(DataDir, "postmaster.pid"))) return;
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-m", mode, "-w", "stop"], asPostgres: true, check: false);
    }

    /// <summary>An empty database no other caller uses.</summary>
    public async Task<string> NewDatabaseAsync(string prefix = "kw")
    {
        var name = $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await RunAsync(Path.Combine(_bin, "psql"), ["-h", _dir, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", User, "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-q", "-c", $"CREATE DATABASE {name}"], asPostgres: true);
        return name;
    }

    /// <summary>Runs SQL in a database through psql (tests that look at or tamper with rows).</summary>
    public async Task<string> PsqlAsync(string database, string sql)
    {
        var (_, stdout) = await RunAsync(Path.Combine(_bin, "psql"), ["-h", _dir, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", User, "-d", database,
            "-v", "ON_ERROR_STOP=1", "-q", "-t", "-A", "-c", sql], asPostgres: true);
        return stdout.Trim();
    }

    /// <summary>Runs one of PostgreSQL's client programs (pg_dump, pg_restore) against this server, as its owner.</summary>
    public Task ToolAsync(string tool, params string[] args) =>
        RunAsync(Path.Combine(_bin, tool), ["-h", _dir, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", User, .. args], asPostgres: true);

    /// <summary>A path in the server's own directory, which its programs may write (a dump).</summary>
    public string PathFor(string name) => Path.Combine(_dir, name);

    public async ValueTask DisposeAsync()
    {
        await StopAsync("immediate");
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static string FindBin()
    {
        const string root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException("PostgreSQL is missing (/usr/lib/postgresql/*/bin/pg_ctl): run the tests through scripts/test, which installs it.");
    }

    private static async Task<(int Code, string Stdout)> RunAsync(string file, IReadOnlyList<string> args, bool asPostgres = false, bool check = true)
    {
        var info = new ProcessStartInfo(asPostgres && IsRoot ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asPostgres && IsRoot) foreach (var a in new[] { "-u", "postgres", "--", file }) info.ArgumentList.Add(a);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (check && p.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited with {p.ExitCode}: {await stderr}{await stdout}");
        return (p.ExitCode, await stdout);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
