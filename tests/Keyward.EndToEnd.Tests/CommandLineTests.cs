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
    [InlineData("identities check", "keyward: identities check needs the --identities file to check")]
    [InlineData("audit verfy", "keyward: unknown audit subcommand 'verfy'; did you mean 'verify'?")]
    [InlineData("srve", "keyward: unknown command 'srve'; did you mean 'serve'?")]
    [InlineData("serve --bogus", "keyward: unknown option '--bogus'")]
    [InlineData("serve --listn http://127.0.0.1:1", "keyward: unknown option '--listn'; did you mean '--listen'?")]
    [InlineData("serve --listen", "keyward: option --listen needs a value")]
    [InlineData("restore", "keyward: restore needs the backup file")]
    [InlineData("restore backup.db", "keyward: restore needs --data-dir <dir> (an empty one)")]
    [InlineData("backup", "keyward: backup needs --to <file>")]
    [InlineData("xks-proxy", "keyward: xks-proxy needs --config <json>")]
    [InlineData("seed a.yaml b.yaml", "keyward: seed: unexpected argument 'b.yaml'")]
    [InlineData("serve --access-log maybe", "keyward: --access-log needs on or off")]
    [InlineData("serve --lifecycle-interval -5", "keyward: --lifecycle-interval needs a positive number of seconds")]
    [InlineData("serve --account-id 1234", "keyward: --account-id needs 12 digits")]
    [InlineData("audit query --since yesterday", "keyward: --since needs a time (ISO 8601")]
    public async Task A_mistake_is_one_line_naming_it_and_exit_2(string args, string expected)
    {
        var (code, stdout, stderr) = await Keyward(args.Split(' '));
        Assert.Equal(2, code);
        Assert.StartsWith(expected, stderr);
        Assert.DoesNotContain("   at ", stdout + stderr);
    }

    [Theory]
    [InlineData("serve --help", "--listen <url>")]
    [InlineData("audit verify --help", "check the audit log's hash chain")]
    [InlineData("audit query -h", "--since <time>")]
    [InlineData("seal rotate --help", "--config <json>")]
    [InlineData("backup -h", "--to <file>")]
    [InlineData("help seal", "rotate")]
    [InlineData("help", "xks-proxy")]
    public async Task Every_command_has_help(string args, string expected)
    {
        var (code, stdout, _) = await Keyward(args.Split(' '));
        Assert.Equal(0, code);
        Assert.Contains(expected, stdout);
    }

    [Theory]
    [InlineData("KEYWARD_ACCESS_LOG", "maybe", "keyward: KEYWARD_ACCESS_LOG needs on or off")]
    [InlineData("KEYWARD_LOG_FORMAT", "xml", "keyward: KEYWARD_LOG_FORMAT needs text or json")]
    [InlineData("KEYWARD_ACCOUNT_ID", "12", "keyward: KEYWARD_ACCOUNT_ID needs 12 digits")]
    public async Task A_variable_that_is_not_valid_is_named_before_anything_is_written(string variable, string value, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("keyward-variable").FullName;
        try
        {
            var data = Path.Combine(dir, "data");
            var (code, stdout, stderr) = await ExternalProcess.RunAsync("dotnet",
                [Path.Combine(AppContext.BaseDirectory, "keyward.dll"), "serve", "--data-dir", data], new Dictionary<string, string> { [variable] = value });
            Assert.Equal(2, code);
            Assert.StartsWith(expected, stderr);
            Assert.DoesNotContain("   at ", stdout + stderr);
            Assert.False(Directory.Exists(data));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("--identities", "keyward: cannot read ")]
    [InlineData("--config", "keyward: cannot read ")]
    [InlineData("--seed", "keyward: cannot read the seed file ")]
    [InlineData("--request-quotas", "keyward: cannot read the request quota file ")]
    public async Task A_file_option_that_cannot_be_read_is_one_line_before_anything_is_written(string option, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("keyward-file-option").FullName;
        try
        {
            var data = Path.Combine(dir, "data");
            var (code, stdout, stderr) = await Keyward("serve", "--data-dir", data, option, Path.Combine(dir, "missing"));
            Assert.Equal(2, code);
            Assert.StartsWith(expected, stderr);
            Assert.DoesNotContain("   at ", stdout + stderr);
            Assert.False(Directory.Exists(data)); // nothing written: no directory, no bootstrap credential
        }
        finally { Directory.Delete(dir, recursive: true); }
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
