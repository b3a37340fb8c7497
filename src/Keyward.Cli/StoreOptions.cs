using System.CommandLine;
using Keyward.Server.Hosting;

namespace Keyward.Cli;

/// <summary>
/// Where a command finds the deployment: <c>--data-dir</c>, <c>--database</c> and (for the commands that open the
/// seal or an HSM) <c>--config</c>, read as <c>serve</c> reads them.
/// </summary>
internal sealed class StoreOptions
{
    public readonly Option<string?> DataDir = CliOption.Text("--data-dir", "path",
        "data directory: database, root key file, bootstrap credential (default ./.keyward)", "KEYWARD_DATA_DIR");

    public readonly Option<string?> Database = CliOption.Text("--database", "uri",
        "a PostgreSQL database shared by several nodes, as postgresql://user:password@host:5432/keyward or an Npgsql " +
        "connection string (default: SQLite in the data directory; docs/multi-node.md)", "KEYWARD_DATABASE");

    public readonly Option<string?>? Config;

    public StoreOptions(Command command, bool config = false)
    {
        command.Options.Add(DataDir);
        command.Options.Add(Database);
        if (!config) return;
        Config = CliOption.Text("--config", "json",
            "configuration file: HSM clusters for custom key stores, PKCS#11 seal (docs/configuration.md)", "KEYWARD_CONFIG");
        command.Options.Add(Config);
    }

    /// <summary>The options as <see cref="KmsServerOptions"/>; the --config file is read here (its errors are one line).</summary>
    public KmsServerOptions Read(ParseResult result, KmsServerOptions? start = null)
    {
        var options = start ?? new KmsServerOptions();
        if (result.GetValue(DataDir) is { } dataDir) options = options with { DataDir = dataDir };
        options = options with { Database = result.GetValue(Database) };
        if (Config is null || result.GetValue(Config) is not { } config) return options;
        try { return options with { Hsm = Keyward.Pkcs11.HsmConfiguration.Load(config) }; }
        catch (Keyward.Pkcs11.Pkcs11ConfigurationException e) { throw new ServerConfigurationException(e.Message); }
        catch (IOException e) { throw new ServerConfigurationException($"cannot read {config}: {e.Message}"); }
    }
}
