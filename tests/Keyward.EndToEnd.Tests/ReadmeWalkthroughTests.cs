using System.Text.RegularExpressions;
using Keyward.EndToEnd.Tests.Infrastructure;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// The README's first walkthrough, run as written: the `aws configure` lines the server prints for its generated
/// credential, then the README's shell block (only the port is this test server's), with Debian's aws CLI and a HOME
/// of its own, so the user's own aws configuration is never read or written.
/// </summary>
public sealed class ReadmeWalkthroughTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-readme").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepositoryFile(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, name)) && Directory.Exists(Path.Combine(d.FullName, "docs"))) return Path.Combine(d.FullName, name);
        throw new InvalidOperationException($"no {name} above {AppContext.BaseDirectory}");
    }

    [Fact]
    public async Task The_walkthrough_runs_as_written_and_prints_the_secret()
    {
        var readme = await File.ReadAllTextAsync(RepositoryFile("README.md"));
        var walkthrough = Regex.Match(readme, "in another shell:\\s*```sh\\n(?<script>.*?)```", RegexOptions.Singleline).Groups["script"].Value;
        Assert.Contains("kms encrypt", walkthrough);
        var dataDir = Path.Combine(_dir, "data");
        var home = Directory.CreateDirectory(Path.Combine(_dir, "home")).FullName;
        var work = Directory.CreateDirectory(Path.Combine(_dir, "work")).FullName;
        await using var server = await KeywardProcess.StartAsync(dataDir, bootstrapFromEnvironment: false);
        _ = server.Credential; // waits for the generated credential
        var aws = Environment.GetEnvironmentVariable("KEYWARD_AWS_CLI") ?? "/usr/bin/aws";
        var env = new Dictionary<string, string> { ["HOME"] = home, ["PATH"] = $"{Path.GetDirectoryName(aws)}:/usr/bin:/bin" };
        // The lines the server printed, as a user pastes them.
        var configure = server.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("aws configure set ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, configure.Count);
        var script = string.Join('\n', configure.Select(l => aws + l[3..])) + "\n" +
                     walkthrough.Replace("http://127.0.0.1:4599", server.Url.ToString().TrimEnd('/')).Replace("aws --profile", aws + " --profile");
        var (code, stdout, stderr) = await ExternalProcess.RunAsync("bash", ["-c", script], env, work);
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal("my first secret\n", stdout);
        // Only the profile it names was written.
        var credentials = await File.ReadAllTextAsync(Path.Combine(home, ".aws", "credentials"));
        Assert.Contains("[keyward]", credentials);
        Assert.DoesNotContain("[default]", credentials);
    }
}
