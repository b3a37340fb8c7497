using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>
/// `keyward serve` as a separate OS process (the real executable built next to the tests),
/// so a test can kill it with SIGKILL and start it again on the same data directory.
/// </summary>
public sealed class KeywardProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public Uri Url { get; }
    public bool HasExited => _process.HasExited;
    public int ProcessId => _process.Id;
    public string Output { get { lock (_output) return _output.ToString(); } }

    private readonly string? _generatedCredentialDir;

    private KeywardProcess(Process process, Uri url, string? generatedCredentialDir)
    {
        _process = process;
        Url = url;
        _generatedCredentialDir = generatedCredentialDir;
    }

    /// <summary>The credential clients use: the test's, or the one the server generated in its data directory.</summary>
    public (string AccessKeyId, string Secret) Credential
    {
        get
        {
            if (_generatedCredentialDir is null) return (ServerFixture.AccessKeyId, ServerFixture.SecretAccessKey);
            var path = Path.Combine(_generatedCredentialDir, "bootstrap-credential.json");
            for (var i = 0; i < 600 && !File.Exists(path); i++) Thread.Sleep(50);
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            return (doc.RootElement.GetProperty("AccessKeyId").GetString()!, doc.RootElement.GetProperty("SecretAccessKey").GetString()!);
        }
    }

    /// <param name="bootstrapFromEnvironment">Give the test credential through KEYWARD_ACCESS_KEY_ID/KEYWARD_SECRET_ACCESS_KEY;
    /// when false the server generates (or reloads) its own.</param>
    /// <param name="args">More `serve` options (--database, --lifecycle-interval…).</param>
    public static async Task<KeywardProcess> StartAsync(string dataDir, int? port = null, IDictionary<string, string>? env = null,
        bool bootstrapFromEnvironment = true, IEnumerable<string>? args = null)
    {
        var p = port ?? FreePort();
        var url = new Uri($"http://127.0.0.1:{p}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "keyward.dll"));
        foreach (var a in new[] { "serve", "--listen", url.ToString().TrimEnd('/'), "--data-dir", dataDir }) info.ArgumentList.Add(a);
        foreach (var a in args ?? []) info.ArgumentList.Add(a);
        if (bootstrapFromEnvironment)
        {
            info.Environment["KEYWARD_ACCESS_KEY_ID"] = ServerFixture.AccessKeyId;
            info.Environment["KEYWARD_SECRET_ACCESS_KEY"] = ServerFixture.SecretAccessKey;
        }
        else
        {
            info.Environment.Remove("KEYWARD_ACCESS_KEY_ID");
            info.Environment.Remove("KEYWARD_SECRET_ACCESS_KEY");
        }
        // Quotas off, as in ServerFixture (a test that wants them passes KEYWARD_REQUEST_QUOTAS itself).
        info.Environment["KEYWARD_REQUEST_QUOTAS"] = "off";
        if (env is not null) foreach (var (k, v) in env) info.Environment[k] = v;
        var process = Process.Start(info)!;
        var kp = new KeywardProcess(process, url, bootstrapFromEnvironment ? null : dataDir);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (kp._output) kp._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (kp._output) kp._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await kp.WaitReadyAsync();
        return kp;
    }

    /// <summary>A client signing for <paramref name="region"/> (the home Region of the tests when null).</summary>
    public AmazonKeyManagementServiceClient Client(string? region = null) =>
        new(new BasicAWSCredentials(Credential.AccessKeyId, Credential.Secret), new AmazonKeyManagementServiceConfig
        {
            ServiceURL = Url.ToString(),
            AuthenticationRegion = region ?? ServerFixture.Region,
            MaxErrorRetry = 0,
        });

    private async Task WaitReadyAsync()
    {
        using var client = Client();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the redirected output to its end
                throw new InvalidOperationException($"keyward exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                await client.ListKeysAsync(new ListKeysRequest { Limit = 1 });
                return;
            }
            // A node that serves other Regions than the tests' home Region answers, and so is ready.
            catch (Amazon.KeyManagementService.AmazonKeyManagementServiceException e)
                when (e.ErrorCode == "InvalidSignatureException" && e.Message.Contains("valid region", StringComparison.Ordinal))
            {
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>SIGTERM, as a service manager stops a server; returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or power cut of the process.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }
}
