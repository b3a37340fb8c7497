using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Debian's nginx (installed by scripts/test) as a round-robin HTTP load balancer in front of
/// Keyward nodes, run in the foreground from a private prefix directory. Its access log records
/// which upstream served each request. A refused connection (a dead node) is retried on the next
/// upstream, as nginx does for a request it could not send.
/// </summary>
public sealed class Nginx : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/nginx";
    private readonly Process _process;
    private readonly string _dir;
    private readonly StringBuilder _output = new();

    public Uri Url { get; }
    public string AccessLog => File.Exists(Path.Combine(_dir, "access.log")) ? File.ReadAllText(Path.Combine(_dir, "access.log")) : "";

    private Nginx(Process process, string dir, Uri url)
    {
        _process = process;
        _dir = dir;
        Url = url;
    }

    public static async Task<Nginx> StartAsync(IEnumerable<Uri> upstreams)
    {
        if (!File.Exists(Binary)) throw new InvalidOperationException($"{Binary} is missing: run the tests through scripts/test, which installs nginx.");
        var dir = Directory.CreateTempSubdirectory("keyward-nginx").FullName;
        var port = KeywardProcess.FreePort();
        var servers = string.Concat(upstreams.Select(u => $"        server {u.Host}:{u.Port.ToString(CultureInfo.InvariantCulture)} max_fails=0;\n"));
        var user = Environment.UserName == "root" ? "user root;\n" : "";
        var config = $$"""
            {{user}}daemon off;
            worker_processes 1;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 1024; }
            http {
                log_format upstream '$upstream_addr $status';
                access_log {{dir}}/access.log upstream;
                client_body_temp_path {{dir}}/body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                client_body_buffer_size 1m;
                client_max_body_size 2m;
                upstream keyward {
            {{servers}}        keepalive 32;
                }
                server {
                    listen 127.0.0.1:{{port.ToString(CultureInfo.InvariantCulture)}};
                    location / {
                        proxy_pass http://keyward;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $http_host;
                        proxy_connect_timeout 2s;
                        proxy_read_timeout 30s;
                        proxy_next_upstream error timeout;
                    }
                }
            }
            """;
        var file = Path.Combine(dir, "nginx.conf");
        await File.WriteAllTextAsync(file, config);
        var info = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-p", dir, "-c", file, "-e", Path.Combine(dir, "error.log") }) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var nginx = new Nginx(process, dir, new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"));
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (nginx._output) nginx._output.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        await nginx.WaitListeningAsync(port);
        return nginx;
    }

    private async Task WaitListeningAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (_process.HasExited)
            {
                var log = Path.Combine(_dir, "error.log");
                throw new InvalidOperationException($"nginx exited with {_process.ExitCode}: {_output} {(File.Exists(log) ? File.ReadAllText(log) : "")}");
            }
            try
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline) { await Task.Delay(50); }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
