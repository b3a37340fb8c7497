using System.Net;
using System.Net.Sockets;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>The `keyward` executable's answers to the mistakes users make in their first minutes: one line, no stack trace.</summary>
public sealed class CommandLineTests
{
    private static Task<(int Code, string Stdout, string Stderr)> Keyward(params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), .. args]);

    [Theory]
    [InlineData("audit", "keyward: audit needs a subcommand: verify, query")]
    [InlineData("seal", "keyward: seal needs a subcommand: migrate, rotate")]
    [InlineData("db", "keyward: db needs a subcommand: migrate")]
    [InlineData("identities", "keyward: identities needs a subcommand: check, new-access-key")]
    [InlineData("identities check", "keyward: identities check needs one file")]
    [InlineData("audit verfy", "keyward: unknown audit subcommand 'verfy'; did you mean 'verify'?")]
    [InlineData("srve", "keyward: unknown command 'srve'; did you mean 'serve'?")]
    [InlineData("serve --bogus", "keyward: unknown option '--bogus'")]
    [InlineData("serve --listn http://127.0.0.1:1", "keyward: unknown option '--listn'; did you mean '--listen'?")]
    [InlineData("serve --listen", "keyward: option --listen needs a value")]
    [InlineData("restore", "keyward: restore needs the backup file first")]
    public async Task A_mistake_is_one_line_naming_it_and_exit_2(string args, string expected)
    {
        var (code, stdout, stderr) = await Keyward(args.Split(' '));
        Assert.Equal(2, code);
        Assert.StartsWith(expected, stderr);
        Assert.DoesNotContain("   at ", stdout + stderr);
    }

    [Theory]
    [InlineData("serve --help", "--listen <url>")]
    [InlineData("audit verify --help", "audit verify check the audit log's hash chain")]
    [InlineData("backup -h", "--to <file>")]
    [InlineData("help seal", "seal migrate")]
    public async Task Every_command_has_help(string args, string expected)
    {
        var (code, stdout, _) = await Keyward(args.Split(' '));
        Assert.Equal(0, code);
        Assert.Contains(expected, stdout);
    }

    [Fact]
    public async Task Version_names_the_build()
    {
        var (code, stdout, _) = await Keyward("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^keyward \d+\.\d+\.\d+", stdout);
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_before_anything_is_written()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var dir = Directory.CreateTempSubdirectory("keyward-port").FullName;
        try
        {
            var data = Path.Combine(dir, "data");
            var (code, stdout, stderr) = await Keyward("serve", "--listen", $"http://127.0.0.1:{port}", "--data-dir", data);
            Assert.Equal(2, code);
            Assert.StartsWith($"keyward: cannot listen on http://127.0.0.1:{port}: the address is already in use", stderr);
            Assert.DoesNotContain("   at ", stdout + stderr);
            Assert.False(Directory.Exists(data)); // found before anything was written
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
