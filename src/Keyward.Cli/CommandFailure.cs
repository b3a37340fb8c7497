using System.CommandLine;
using Keyward.Core.Seal;
using Keyward.Server.Hosting;

namespace Keyward.Cli;

/// <summary>A mistake in the command line found after parsing (a value that depends on another): exit 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The one place expected failures become a line on standard error and an exit code, never a stack trace.
/// Exit 2: the command line (or, for the servers, the configuration it names) is wrong and nothing was done.
/// Exit 1: the command ran and refused (a directory in use, a seal that does not open, a file that exists).
/// </summary>
internal static class CommandFailure
{
    /// <summary>Runs <paramref name="run"/> as the command's action; <paramref name="configurationExit"/> is the exit
    /// code of a configuration that is not valid (2 for the servers, which start from it; 1 for one-shot commands).</summary>
    public static void Action(Command command, Func<ParseResult, Task<int>> run, int configurationExit = 1) =>
        command.SetAction(async (result, _) =>
        {
            try { return await run(result); }
            catch (Exception e) when (ExitCode(e, configurationExit) is { } code)
            {
                return Report(Message(e), code, code == 2 ? Path(result) : null);
            }
        });

    /// <summary>Writes <c>keyward: message</c> (and, for a usage mistake, where help is) and returns the exit code.</summary>
    public static int Report(string message, int code, string? command)
    {
        Console.Error.WriteLine($"keyward: {message}");
        if (command is not null) Console.Error.WriteLine($"run 'keyward {command}--help' for usage");
        return code;
    }

    /// <summary>The command's words, as "audit query " (empty for the root).</summary>
    public static string Path(ParseResult result)
    {
        var words = new List<string>();
        for (var c = result.CommandResult; c.Parent is System.CommandLine.Parsing.CommandResult parent; c = parent) words.Insert(0, c.Command.Name);
        return words.Count == 0 ? "" : string.Join(' ', words) + " ";
    }

    private static int? ExitCode(Exception e, int configurationExit) => e switch
    {
        UsageException => 2,
        ServerConfigurationException or Keyward.Pkcs11.Pkcs11ConfigurationException
            or Keyward.XksProxy.XksConfigurationException => configurationExit,
        SealException or DataDirectoryInUseException or Keyward.Core.Storage.StorageUnavailableException
            or Keyward.Core.KeyStores.KeyStoreConnectException or IOException or UnauthorizedAccessException
            or Microsoft.Data.Sqlite.SqliteException or InvalidDataException => 1,
        _ => null,
    };

    private static string Message(Exception e) => e is Keyward.Core.Storage.StorageUnavailableException { InnerException: { } inner }
        ? $"{e.Message} ({inner.Message})"
        : e.Message;
}
