using System.CommandLine;
using Keyward.Server.Hosting;

namespace Keyward.Cli;

/// <summary><c>keyward serve</c>: every option checked before <see cref="KmsHost.StartAsync"/> writes anything.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new KmsServerOptions();
        var command = new Command("serve", "run the KMS API server");
        var listen = CliOption.Text("--listen", "url", "address to listen on", "KEYWARD_LISTEN", defaults.Listen);
        var adminListen = CliOption.Text("--admin-listen", "url",
            "a second address for /healthz, /readyz and /metrics only, which then leave the KMS address " +
            "(default: none, they are on --listen; docs/operations.md)", "KEYWARD_ADMIN_LISTEN");
        var store = new StoreOptions(command, config: true);
        var region = CliOption.Text("--region", "region",
            "the home Region: in ARNs and SigV4 scope, and where keys made before Regions belong", "KEYWARD_REGION", defaults.Region);
        var regions = CliOption.Parsed("--regions", "list",
            "more Regions served besides --region, comma-separated (each request is in the Region it was signed for)", "KEYWARD_REGIONS", "",
            v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is var list
                 && list.All(Keyward.Protocol.Validation.Regions.IsRegion) ? list : throw new FormatException(),
            "Region ids such as eu-west-1, separated by commas");
        var account = CliOption.Parsed("--account-id", "id", "account of the bootstrap credential", "KEYWARD_ACCOUNT_ID",
            defaults.AccountId, v => v.Length == 12 && v.All(char.IsAsciiDigit) ? v : throw new FormatException(), "12 digits");
        var interval = CliOption.Parsed<TimeSpan>("--lifecycle-interval", "seconds",
            "seconds between runs of the lifecycle job: deletions, rotations, expiry of imported material", null, "60",
            v => double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 && s < 1e9
                ? TimeSpan.FromSeconds(s) : throw new FormatException(), "a positive number of seconds");
        interval.Aliases.Add("--deletion-interval"); // the option's earlier name, still accepted
        var identities = CliOption.Text("--identities", "json",
            "accounts, users, roles, access keys and identity policies (mode 0600; docs/identities.md)", "KEYWARD_IDENTITIES");
        var tlsCert = CliOption.Text("--tls-cert", "pem", "certificate (chain) for an https:// listen address", "KEYWARD_TLS_CERT");
        var tlsKey = CliOption.Text("--tls-key", "pem", "its private key", "KEYWARD_TLS_KEY");
        var xksCa = CliOption.Text("--xks-ca", "pem",
            "certificate authorities of external key store proxies (a private CA; default: the system's roots; " +
            "docs/external-key-stores.md)", "KEYWARD_XKS_CA");
        var xksHttp = CliOption.Parsed("--xks-allow-http", "true|false", "accept http:// proxy endpoints (tests; AWS accepts only https://)",
            null, "false", v => v switch { "true" => true, "false" => false, _ => throw new FormatException() }, "true or false");
        var storeQuota = CliOption.PositiveWhole("--custom-key-store-quota", "n", "custom key stores per account (AWS's quota)",
            defaults.CustomKeyStoresPerAccount);
        var seed = CliOption.Text("--seed", "yaml",
            "keys (fixed ids, given material) and aliases to make at start if missing; local-kms's seed file format " +
            "(docs/operations.md)", "KEYWARD_SEED");
        var accessLog = CliOption.OnOff("--access-log", "one log line per answered request", "KEYWARD_ACCESS_LOG", "on");
        var logFormat = CliOption.Parsed("--log-format", "text|json",
            "one line of text per event, or one JSON object per line", "KEYWARD_LOG_FORMAT", "text",
            v => v switch { "text" => LogFormat.Text, "json" => LogFormat.Json, _ => throw new FormatException() },
            "text or json");
        var console = CliOption.Parsed("--console", "true|false", "serve the web console at /console/ (docs/console.md)",
            "KEYWARD_CONSOLE", "true", v => v switch { "true" => true, "false" => false, _ => throw new FormatException() }, "true or false");
        var quotas = CliOption.Text("--request-quotas", "off|default|json",
            "requests per second per account, as AWS's quotas (docs/operations.md)", "KEYWARD_REQUEST_QUOTAS", "default");
        foreach (var option in new Option[] { listen, adminListen, region, regions, account, interval, identities, tlsCert, tlsKey, xksCa, xksHttp,
                     storeQuota, seed, accessLog, logFormat, console, quotas })
            command.Options.Add(option);

        CommandFailure.Action(command, async result =>
        {
            var options = store.Read(result, defaults) with
            {
                Listen = result.GetValue(listen)!,
                AdminListen = result.GetValue(adminListen),
                Region = result.GetValue(region)!,
                Regions = result.GetValue(regions).Value,
                AccountId = result.GetValue(account).Value,
                LifecycleJobInterval = result.GetValue(interval).Value,
                IdentitiesFile = result.GetValue(identities),
                TlsCertificateFile = result.GetValue(tlsCert),
                TlsKeyFile = result.GetValue(tlsKey),
                XksTrustedCertificateAuthoritiesFile = result.GetValue(xksCa),
                XksAllowPlainHttp = result.GetValue(xksHttp).Value,
                CustomKeyStoresPerAccount = result.GetValue(storeQuota).Value,
                SeedFile = result.GetValue(seed),
                AccessLog = result.GetValue(accessLog).Value,
                LogFormat = result.GetValue(logFormat).Value,
                WebConsole = result.GetValue(console).Value,
            };
            options = options with { RequestQuotas = RequestQuotaFile.Parse(result.GetValue(quotas)!) };
            KmsHost host;
            try { host = await KmsHost.StartAsync(options); }
            catch (IOException e) when (e is not DataDirectoryInUseException
                                        && (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("bind", StringComparison.OrdinalIgnoreCase)))
            {
                throw new IOException($"cannot listen on {options.Listen}: {e.Message}");
            }
            await using (host) await host.WaitForShutdownAsync();
            return 0;
        }, configurationExit: 2);
        return command;
    }
}
