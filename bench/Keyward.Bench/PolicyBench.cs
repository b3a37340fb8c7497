using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Keyward.Bench;

/// <summary>
/// `bench/run policy [seconds] [concurrencies] [rounds] [before-ref]`: Encrypt before and after access control
/// and the audit log, in one run. "Before" is Keyward built from <c>before-ref</c> (default: the last commit
/// before issue 5) in a temporary git worktree; "after" is this build. Both run as `keyward serve` processes on
/// SQLite, driven alternately by the same load generator. After, the caller is an IAM user allowed by a key
/// policy statement with an encryption context condition (plus the default statement and an explicit deny),
/// and every request is authorized and audited; before, the same requests run without either. Each round runs
/// both back to back, in alternating order, and the ratio reported is the median of the rounds' ratios.
/// </summary>
internal static class PolicyBench
{
    private const string BeforeIssue5 = "00d0144";
    private const string RootKey = "AKIABENCHROOT0000001";
    private const string RootSecret = "bench-root-secret-0123456789abcdefghij";
    private const string UserKey = "AKIABENCHUSER0000001";
    private const string UserSecret = "bench-user-secret-0123456789abcdefghij";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var levels = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [1, 8, 32];
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var beforeRef = args.Length > 3 ? args[3] : BeforeIssue5;
        var duration = TimeSpan.FromSeconds(seconds);
        var warmup = TimeSpan.FromSeconds(Math.Max(1, seconds / 3));
        var repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        var work = Directory.CreateTempSubdirectory("keyward-policy-bench").FullName;
        var beforeTree = Path.Combine(work, "before");
        try
        {
            await Run("git", ["-C", repo, "worktree", "add", "--detach", beforeTree, beforeRef]);
            await Run("dotnet", ["build", Path.Combine(beforeTree, "src/Keyward.Cli"), "-c", "Release", "--nologo", "-v", "quiet"]);
            var beforeDll = Path.Combine(beforeTree, "src/Keyward.Cli/bin/Release/net10.0/keyward.dll");
            var afterDll = Path.Combine(AppContext.BaseDirectory, "keyward.dll");

            var identities = Path.Combine(work, "identities.json");
            await File.WriteAllTextAsync(identities, $$"""
                { "accounts": [ { "id": "111122223333", "users": [ { "name": "app",
                    "accessKeys": [ { "accessKeyId": "{{UserKey}}", "secretAccessKey": "{{UserSecret}}" } ],
                    "policies": [ { "Statement": { "Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*" } } ] } ] } ] }
                """);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(identities, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            using var before = Server.Start(beforeDll, Path.Combine(work, "before-data"), null);
            using var after = Server.Start(afterDll, Path.Combine(work, "after-data"), identities);
            await before.WaitAsync();
            await after.WaitAsync();

            var plaintext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(1024));
            byte[] Body(string keyId) => Encoding.UTF8.GetBytes($$$"""{"KeyId":"{{{keyId}}}","Plaintext":"{{{plaintext}}}","EncryptionContext":{"app":"billing"}}""");
            var beforeLoad = new LoadGenerator(before.Url, RootKey, RootSecret, "us-east-1");
            var afterLoad = new LoadGenerator(after.Url, UserKey, UserSecret, "us-east-1");
            var beforeBody = Body(await CreateKeyAsync(new LoadGenerator(before.Url, RootKey, RootSecret, "us-east-1"), before.Url, BenchPolicy.Json));
            var afterBody = Body(await CreateKeyAsync(new LoadGenerator(after.Url, RootKey, RootSecret, "us-east-1"), after.Url, BenchPolicy.Json));

            // Both servers first run until the JIT has settled (tiered compilation promotes the hot paths for several
            // seconds after the first requests; a short per-cell warm-up left that inside the measured periods).
            foreach (var (load, body) in new[] { (beforeLoad, beforeBody), (afterLoad, afterBody) })
                await load.RunAsync("Encrypt", body, levels.Max(), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));

            Console.WriteLine($"# Keyward access-control benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {rounds} rounds of {seconds}s per cell, before = {beforeRef}");
            Console.WriteLine();
            Console.WriteLine("| concurrency | server | req/s | p50 ms | p99 ms | errors | server CPU µs/req | req/s ÷ before: median of the rounds' ratios (range) |");
            Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
            foreach (var c in levels)
            {
                var b = new List<LoadGenerator.Result>();
                var a = new List<LoadGenerator.Result>();
                var ratios = new List<double>();
                for (var r = 0; r < rounds; r++)
                {
                    // Each round is a pair, run back to back in alternating order, so that the machine's slow drift
                    // (other tenants) falls on both halves of a pair; the figure is the median of the pairs' ratios.
                    Task<LoadGenerator.Result> RunBefore() => beforeLoad.RunAsync("Encrypt", beforeBody, c, warmup, duration, before.Cpu);
                    Task<LoadGenerator.Result> RunAfter() => afterLoad.RunAsync("Encrypt", afterBody, c, warmup, duration, after.Cpu);
                    LoadGenerator.Result rb, ra;
                    if (r % 2 == 0) { rb = await RunBefore(); ra = await RunAfter(); }
                    else { ra = await RunAfter(); rb = await RunBefore(); }
                    b.Add(rb);
                    a.Add(ra);
                    ratios.Add(ra.RequestsPerSecond / rb.RequestsPerSecond);
                }
                var mb = LoadGenerator.Result.Median(b);
                var ma = LoadGenerator.Result.Median(a);
                var ratio = LoadGenerator.Result.Mid(ratios);
                Console.WriteLine(FormattableString.Invariant($"| {c} | before ({beforeRef}): Encrypt, no access control, no audit | {mb.RequestsPerSecond:F0} | {mb.P50Ms:F2} | {mb.P99Ms:F2} | {mb.Errors} | {mb.ServerCpuUs:F1} | 100 % |"));
                Console.WriteLine(FormattableString.Invariant($"| {c} | after: Encrypt as an IAM user, policy with conditions, audited | {ma.RequestsPerSecond:F0} | {ma.P50Ms:F2} | {ma.P99Ms:F2} | {ma.Errors} | {ma.ServerCpuUs:F1} | **{ratio:P0}** ({ratios.Min():P0}–{ratios.Max():P0}) |"));
            }
            return 0;
        }
        finally
        {
            await Run("git", ["-C", repo, "worktree", "remove", "--force", beforeTree], check: false);
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<string> CreateKeyAsync(LoadGenerator load, Uri url, string policy)
    {
        using var http = new HttpClient { BaseAddress = url };
        var body = JsonSerializer.Serialize(new Dictionary<string, string> { ["Policy"] = policy }, BenchJson.Default.DictionaryStringString);
        using var response = await http.SendAsync(load.Sign("CreateKey", Encoding.UTF8.GetBytes(body)));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"CreateKey: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
    }


    private static async Task Run(string file, string[] args, bool check = true)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var errors = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (check && p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {await errors}{await output}");
    }

    /// <summary>A `keyward serve` process on a free loopback port.</summary>
    private sealed class Server : IDisposable
    {
        private readonly Process _process;
        public Uri Url { get; }

        /// <summary>The server process's CPU time so far (user and system, all threads).</summary>
        public TimeSpan Cpu()
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }

        private Server(Process process, Uri url) { _process = process; Url = url; }

        public static Server Start(string dll, string dataDir, string? identities)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            var url = new Uri($"http://127.0.0.1:{port}");
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { dll, "serve", "--listen", url.ToString().TrimEnd('/'), "--data-dir", dataDir }) info.ArgumentList.Add(a);
            if (identities is not null) { info.ArgumentList.Add("--identities"); info.ArgumentList.Add(identities); }
            info.Environment["KEYWARD_ACCESS_KEY_ID"] = RootKey;
            info.Environment["KEYWARD_SECRET_ACCESS_KEY"] = RootSecret;
            // Neither quotas nor the access line existed before; builds that know them turn them off (older ones ignore these).
            info.Environment["KEYWARD_REQUEST_QUOTAS"] = "off";
            info.Environment["KEYWARD_ACCESS_LOG"] = "off";
            info.Environment["DOTNET_gcServer"] = "1";
            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new Server(process, url);
        }

        public async Task WaitAsync()
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    using var tcp = new TcpClient();
                    await tcp.ConnectAsync(Url.Host, Url.Port);
                    return;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited) { await Task.Delay(100); }
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill();
            _process.Dispose();
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class BenchJson : System.Text.Json.Serialization.JsonSerializerContext;
