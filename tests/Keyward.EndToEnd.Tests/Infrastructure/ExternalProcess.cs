using System.Diagnostics;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>Runs a third-party client (aws, python3, curl) to completion and captures its output.</summary>
public static class ExternalProcess
{
    /// <summary>
    /// The environment of an AWS client run against the test server: the bootstrap credential and region, and no user
    /// configuration leaking in (config and credentials files that do not exist; the CLI's pager and instance metadata off).
    /// </summary>
    public static Dictionary<string, string> AwsEnvironment(string workDirectory) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = ServerFixture.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = ServerFixture.SecretAccessKey,
        ["AWS_DEFAULT_REGION"] = ServerFixture.Region,
        ["AWS_REGION"] = ServerFixture.Region,
        ["AWS_CONFIG_FILE"] = Path.Combine(workDirectory, "no-config"),
        ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(workDirectory, "no-credentials"),
        ["AWS_PAGER"] = "",
        ["AWS_EC2_METADATA_DISABLED"] = "true",
    };

    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args,
        IDictionary<string, string>? environment = null, string? workingDirectory = null, string? stdin = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
