using System.CommandLine;
using Keyward.Server.Hosting;

namespace Keyward.Cli;

/// <summary>The one-shot commands: db, seed, backup, restore, identities, audit; and the XKS proxy.</summary>
internal static class AdminCommands
{
    public static Command DbCommand()
    {
        var migrate = new Command("migrate", "apply pending schema migrations and exit (serve also applies them at start)");
        var store = new StoreOptions(migrate);
        CommandFailure.Action(migrate, result => DatabaseMigrationCommand.RunAsync(store.Read(result), Console.Out), configurationExit: 2);
        return new Command("db", "the database's schema") { migrate };
    }

    /// <summary><c>keyward seed FILE</c>: what <c>serve --seed FILE</c> does at start, on a stopped data directory, then exits.</summary>
    public static Command SeedCommand()
    {
        var file = new Argument<string>("file") { Description = "the seed file" };
        var command = new Command("seed", "make a seed file's keys and aliases in a stopped data directory (as serve --seed)") { file };
        var store = new StoreOptions(command, config: true);
        CommandFailure.Action(command, async result =>
        {
            var options = store.Read(result) with
            {
                SeedFile = result.GetValue(file), Listen = "http://127.0.0.1:0", RunLifecycleJob = false, AccessLog = false,
            };
            await using var host = await KmsHost.StartAsync(options);
            return 0;
        });
        return command;
    }

    public static Command BackupCommand()
    {
        var to = CliOption.Text("--to", "file", "the backup (must not exist)");
        to.Required = true;
        var command = new Command("backup", "copy the running SQLite database consistently (never the root key; docs/operations.md)") { to };
        var store = new StoreOptions(command, config: true);
        CommandFailure.Action(command, result =>
            Task.FromResult(Keyward.Server.Hosting.BackupCommand.Backup(store.Read(result), result.GetValue(to)!, Console.Out)));
        return command;
    }

    public static Command RestoreCommand()
    {
        var from = new Argument<string>("file") { Description = "the backup file" };
        var rootKey = CliOption.Text("--root-key", "file", "the file seal's root key, copied in beside the database");
        var command = new Command("restore",
            "put a backup into an empty data directory; succeeds only if the seal opens every sealed value in it") { from, rootKey };
        var store = new StoreOptions(command, config: true);
        CommandFailure.Action(command, result => result.GetValue(store.DataDir) is null
            ? throw new UsageException("restore needs --data-dir <dir> (an empty one)")
            : Keyward.Server.Hosting.BackupCommand.RestoreAsync(store.Read(result), result.GetValue(from)!, result.GetValue(rootKey), Console.Out));
        return command;
    }

    public static Command IdentitiesCommand()
    {
        var file = new Argument<string>("file") { Description = "the --identities file to check" };
        var check = new Command("check", "validate an --identities file; list principals and access key ids") { file };
        CommandFailure.Action(check, result => Task.FromResult(Keyward.Server.Hosting.IdentitiesCommand.Check(result.GetValue(file)!, Console.Out)));
        var newKey = new Command("new-access-key", "print a new access key pair to paste into an --identities file");
        CommandFailure.Action(newKey, _ => Task.FromResult(Keyward.Server.Hosting.IdentitiesCommand.NewAccessKey(Console.Out)));
        return new Command("identities", "the --identities file of accounts, users, roles and access keys") { check, newKey };
    }

    public static Command AuditCommand()
    {
        var verify = new Command("verify", "check the audit log's hash chain; names the first edited, removed or reordered event");
        var verifyStore = new StoreOptions(verify);
        CommandFailure.Action(verify, result => Keyward.Server.Hosting.AuditCommand.VerifyAsync(verifyStore.Read(result), Console.Out),
            configurationExit: 2);

        var key = CliOption.Text("--key", "id|arn", "only events about this key");
        var principal = CliOption.Text("--principal", "arn", "only events of this caller");
        var eventName = CliOption.Text("--event", "name", "only events of this operation (Encrypt, CreateKey, ...)");
        var since = Time("--since", "only events at or after this time (ISO 8601)");
        var until = Time("--until", "only events before this time (ISO 8601)");
        var query = new Command("query", "print audit events as JSON lines") { key, principal, eventName, since, until };
        var queryStore = new StoreOptions(query);
        CommandFailure.Action(query, result => Keyward.Server.Hosting.AuditCommand.QueryAsync(queryStore.Read(result), Console.Out,
            result.GetValue(key), result.GetValue(principal), result.GetValue(eventName), result.GetValue(since), result.GetValue(until)),
            configurationExit: 2);
        return new Command("audit", "the tamper-evident audit log") { verify, query };
    }

    public static Command XksProxyCommand()
    {
        var config = CliOption.Text("--config", "json",
            "the proxy's configuration; the HSM PIN comes from the environment variable it names (default KEYWARD_XKS_PIN)");
        config.Required = true;
        var command = new Command("xks-proxy", "run the XKS proxy (docs/xks-proxy.md)") { config };
        CommandFailure.Action(command, async result =>
        {
            var file = result.GetValue(config)!;
            Keyward.XksProxy.XksProxyHost host;
            try { host = await Keyward.XksProxy.XksProxyHost.StartAsync(Keyward.XksProxy.XksProxyOptions.Load(file), file); }
            catch (IOException e) { throw new IOException($"cannot start the XKS proxy: {e.Message}", e); }
            await using (host)
            {
                var stop = new TaskCompletionSource();
                using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(
                    System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
                Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
                await stop.Task;
            }
            return 0;
        }, configurationExit: 2);
        return command;
    }

    private static Option<DateTimeOffset?> Time(string name, string description) =>
        CliOption.Optional(name, "time", description,
            v => DateTimeOffset.Parse(v, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal),
            "a time (ISO 8601, such as 2026-11-28T17:00:00Z)");
}
