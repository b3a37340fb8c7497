using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Keyward.Cli;

/// <summary>
/// The `keyward` command line on System.CommandLine: the commands are declared here and in the files they name;
/// parse mistakes are one line (<see cref="ParseFailure"/>), expected failures too (<see cref="CommandFailure"/>).
/// </summary>
internal static class Commands
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Root();
        if (args.Length == 0)
        {
            await root.Parse(["--help"]).InvokeAsync();
            return 2;
        }
        var result = root.Parse(args);
        if (ParseFailure.Describe(result) is { } mistake) return CommandFailure.Report(mistake, 2, CommandFailure.Path(result));
        return await result.InvokeAsync();
    }

    private static RootCommand Root()
    {
        var root = new RootCommand("""
            Keyward: a key management service that speaks the AWS KMS API.

            The bootstrap credential comes from KEYWARD_ACCESS_KEY_ID and KEYWARD_SECRET_ACCESS_KEY,
            or is generated on first start and printed once.
            Exit codes: 0 done; 1 the command refused or failed; 2 the command line or configuration is wrong.
            """)
        {
            ServeCommand.Create(),
            SealCommands.Create(),
            AdminCommands.DbCommand(),
            AdminCommands.SeedCommand(),
            AdminCommands.BackupCommand(),
            AdminCommands.RestoreCommand(),
            AdminCommands.IdentitiesCommand(),
            AdminCommands.AuditCommand(),
            AdminCommands.XksProxyCommand(),
        };
        foreach (var option in root.Options)
            if (option is VersionOption) option.Action = new PrintVersion();
        root.Subcommands.Add(HelpCommand(root));
        return root;
    }

    /// <summary><c>keyward help [command...]</c>: the same text as <c>keyward [command...] --help</c>.</summary>
    private static Command HelpCommand(RootCommand root)
    {
        var words = new Argument<string[]>("command") { Description = "the command to explain", Arity = ArgumentArity.ZeroOrMore };
        var help = new Command("help", "show the usage of keyward or of one command") { words };
        help.SetAction(result => root.Parse([.. result.GetValue(words) ?? [], "--help"]).Invoke());
        return help;
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var version = typeof(Commands).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                is [System.Reflection.AssemblyInformationalVersionAttribute v, ..] ? v.InformationalVersion : "0.0.0";
            Console.WriteLine($"keyward {version}");
            return 0;
        }
    }
}
