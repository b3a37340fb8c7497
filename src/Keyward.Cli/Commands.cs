using Keyward.Core.Seal;
using Keyward.Server.Hosting;

namespace Keyward.Cli;

/// <summary>The `keyward` command line. Thin: parse, then hand over to the hosts.</summary>
internal static class Commands
{
    private const string Usage = """
        usage: keyward <command> [options]

        commands:
          serve        run the KMS API server
            --listen <url>            address to listen on (default http://127.0.0.1:4599; env KEYWARD_LISTEN)
            --data-dir <path>         data directory: database, root key file, bootstrap credential
                                      (default ./.keyward; env KEYWARD_DATA_DIR)
            --database <uri>          a PostgreSQL database shared by several nodes, as
                                      postgresql://user:password@host:5432/keyward or an Npgsql connection
                                      string (env KEYWARD_DATABASE; default: SQLite in the data directory;
                                      docs/multi-node.md)
            --region <region>         region in ARNs and SigV4 scope (default us-east-1; env KEYWARD_REGION)
            --account-id <id>         account of the bootstrap credential (default 111122223333; env KEYWARD_ACCOUNT_ID)
            --lifecycle-interval <s>  seconds between runs of the lifecycle job: deletions, rotations,
                                      expiry of imported material (default 60)
            --config <json>           configuration file: HSM clusters for custom key stores, PKCS#11 seal
                                      (env KEYWARD_CONFIG; docs/configuration.md)
            --identities <json>       accounts, users, roles, access keys and identity policies
                                      (env KEYWARD_IDENTITIES; mode 0600; docs/identities.md)
            --tls-cert <pem>          certificate (chain) for an https:// listen address (env KEYWARD_TLS_CERT)
            --tls-key <pem>           its private key (env KEYWARD_TLS_KEY)
            --xks-ca <pem>            certificate authorities of external key store proxies (private CA;
                                      default: the system's roots; env KEYWARD_XKS_CA; docs/external-key-stores.md)
            --xks-allow-http <bool>   accept http:// proxy endpoints (tests; AWS accepts only https://)
            --custom-key-store-quota <n>
                                      custom key stores per account (default 10, AWS's quota)
            --seed <yaml>             keys (fixed ids, given material) and aliases to make at start if missing;
                                      local-kms's seed file format (env KEYWARD_SEED; docs/operations.md)
            --access-log <on|off>     one log line per answered request (default on; env KEYWARD_ACCESS_LOG)
            --log-format <text|json>  one line of text per event, or one JSON object per line (default text;
                                      env KEYWARD_LOG_FORMAT)
            --request-quotas <off|default|json>
                                      requests per second per account, as AWS's quotas (default: default;
                                      env KEYWARD_REQUEST_QUOTAS; docs/operations.md)
          seal migrate move a stopped server from the file seal to the PKCS#11 seal in --config
            --data-dir <path>, --config <json>, --database <uri>   as for serve
          seal rotate  replace the file seal's root key on a stopped server, re-sealing every value in one
                       transaction (the old key becomes root.key.retired-<time>)
            --data-dir <path>, --database <uri>   as for serve
          db migrate   apply pending schema migrations and exit (serve also applies them at start)
            --data-dir <path>, --database <uri>   as for serve
          seed <file>  make a seed file's keys and aliases in a stopped data directory (as serve --seed)
            --data-dir <path>, --database <uri>, --config <json>   as for serve
          backup       copy the running SQLite database consistently (never the root key; docs/operations.md)
            --to <file>  the backup (must not exist), --data-dir <path>, --config <json>   as for serve
          restore <file>  put a backup into an empty data directory; succeeds only if the seal opens every
                       sealed value in it
            --data-dir <path> (required), --root-key <file> (the file seal's root key), --config <json>
          identities check <file>      validate an --identities file; list principals and access key ids
          identities new-access-key    print a new access key pair to paste into an --identities file
          audit verify check the audit log's hash chain; names the first edited, removed or reordered event
            --data-dir <path>, --database <uri>   as for serve
          audit query  print audit events as JSON lines
            --data-dir <path>, --database <uri>   as for serve
            --key <id|arn>, --principal <arn>, --event <name>, --since <time>, --until <time>
          xks-proxy --config <json>   run the XKS proxy (docs/xks-proxy.md); the HSM PIN comes from
                       the environment variable the file names (default KEYWARD_XKS_PIN)
          help         show this text

        The bootstrap credential comes from KEYWARD_ACCESS_KEY_ID and KEYWARD_SECRET_ACCESS_KEY,
        or is generated on first start and printed once.
        """;

    // The commands and, for those that have them, their subcommands (for the messages below).
    private static readonly Dictionary<string, string[]> Groups = new(StringComparer.Ordinal)
    {
        ["serve"] = [], ["seed"] = [], ["backup"] = [], ["restore"] = [], ["xks-proxy"] = [], ["help"] = [],
        ["seal"] = ["migrate", "rotate"], ["db"] = ["migrate"], ["audit"] = ["verify", "query"], ["identities"] = ["check", "new-access-key"],
    };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            if (args.Length > 1 && Groups.ContainsKey(args[1])) return Help(args[1]);
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is "--version" or "version")
        {
            Console.WriteLine($"keyward {Version}");
            return 0;
        }
        if (!Groups.TryGetValue(args[0], out var subcommands))
            return Fail($"unknown command '{args[0]}'{Suggest(args[0], Groups.Keys)}");
        if (args.Skip(1).Any(a => a is "--help" or "-h")) return Help(args[0]);
        if (subcommands.Length > 0 && (args.Length < 2 || !subcommands.Contains(args[1])))
            return Fail(args.Length < 2
                ? $"{args[0]} needs a subcommand: {string.Join(", ", subcommands)}"
                : $"unknown {args[0]} subcommand '{args[1]}'{Suggest(args[1], subcommands)} ({args[0]} has {string.Join(", ", subcommands)})");
        try
        {
            return args[0] switch
            {
                "serve" => await ServeAsync(args[1..]),
                "xks-proxy" when args.Length == 3 && args[1] == "--config" => await XksProxyAsync(args[2]),
                "seal" when args.Length > 1 && args[1] == "migrate" => await SealMigrateAsync(args[2..]),
                "seal" when args.Length > 1 && args[1] == "rotate" => await SealRotateAsync(args[2..]),
                "db" when args.Length > 1 && args[1] == "migrate" => await DbMigrateAsync(args[2..]),
                "backup" => await BackupAsync(args[1..]),
                "seed" when args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) => await SeedAsync(args[1], args[2..]),
                "seed" => Fail("seed needs the seed file first: keyward seed <file> --data-dir <dir>"),
                "restore" when args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) => await RestoreAsync(args[1], args[2..]),
                "audit" when args.Length > 1 && args[1] is "verify" or "query" => await AuditAsync(args[1], args[2..]),
                "identities" when args.Length == 3 && args[1] == "check" => IdentitiesCheck(args[2]),
                "identities" when args.Length == 2 && args[1] == "new-access-key" => IdentitiesCommand.NewAccessKey(Console.Out),
                "identities" when args[1] == "check" => Fail("identities check needs one file: keyward identities check <file>"),
                "xks-proxy" => Fail("xks-proxy needs --config <json>"),
                "restore" => Fail("restore needs the backup file first: keyward restore <file> --data-dir <dir>"),
                _ => Fail($"{string.Join(' ', args.Take(2))}: unexpected arguments (keyward {args[0]} --help)"),
            };
        }
        catch (UsageException e)
        {
            return Fail(e.Message);
        }
        catch (ServerConfigurationException e)
        {
            // An option's file that is not valid (--request-quotas), found before anything is written.
            return Fail(e.Message);
        }
    }

    private static async Task<int> XksProxyAsync(string config)
    {
        Keyward.XksProxy.XksProxyHost host;
        try { host = await Keyward.XksProxy.XksProxyHost.StartAsync(Keyward.XksProxy.XksProxyOptions.Load(config), config); }
        catch (Keyward.XksProxy.XksConfigurationException e) { return Fail(e.Message); }
        catch (Keyward.Core.KeyStores.KeyStoreConnectException e) { return Fail(e.Message); }
        catch (IOException e) { return Fail($"cannot start the XKS proxy: {e.Message}"); }
        await using (host)
        {
            var stop = new TaskCompletionSource();
            using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
            await stop.Task;
        }
        return 0;
    }

    private static async Task<int> ServeAsync(string[] args)
    {
        var options = new KmsServerOptions
        {
            Listen = Env("KEYWARD_LISTEN") ?? "http://127.0.0.1:4599",
            Region = Env("KEYWARD_REGION") ?? "us-east-1",
            AccountId = Env("KEYWARD_ACCOUNT_ID") ?? "111122223333",
            TlsCertificateFile = Env("KEYWARD_TLS_CERT"),
            TlsKeyFile = Env("KEYWARD_TLS_KEY"),
            Database = Env("KEYWARD_DATABASE"),
            IdentitiesFile = Env("KEYWARD_IDENTITIES"),
            XksTrustedCertificateAuthoritiesFile = Env("KEYWARD_XKS_CA"),
        };
        if (Env("KEYWARD_REQUEST_QUOTAS") is { } quotas) options = options with { RequestQuotas = RequestQuotaFile.Parse(quotas) };
        if (Env("KEYWARD_SEED") is { } seedFile) options = options with { SeedFile = seedFile };
        if (Env("KEYWARD_ACCESS_LOG") is { } access) options = options with { AccessLog = OnOff(access, "KEYWARD_ACCESS_LOG") };
        if (Env("KEYWARD_LOG_FORMAT") is { } format) options = options with { LogFormat = ParseLogFormat(format, "KEYWARD_LOG_FORMAT") };
        string? config = Env("KEYWARD_CONFIG");
        for (var i = 0; i < args.Length; i++)
        {
            RequireKnown(args[i], ServeOptions);
            var value = i + 1 < args.Length ? args[i + 1] : throw new UsageException($"option {args[i]} needs a value");
            if (args[i] == "--config")
            {
                config = value;
                i++;
                continue;
            }
            options = args[i] switch
            {
                "--listen" => options with { Listen = value },
                "--data-dir" => options with { DataDir = value },
                "--database" => options with { Database = value },
                "--identities" => options with { IdentitiesFile = value },
                "--region" => options with { Region = value },
                "--account-id" => options with { AccountId = value },
                "--tls-cert" => options with { TlsCertificateFile = value },
                "--tls-key" => options with { TlsKeyFile = value },
                "--xks-ca" => options with { XksTrustedCertificateAuthoritiesFile = value },
                "--request-quotas" => options with { RequestQuotas = RequestQuotaFile.Parse(value) },
                "--seed" => options with { SeedFile = value },
                "--access-log" => options with { AccessLog = OnOff(value, "--access-log") },
                "--log-format" => options with { LogFormat = ParseLogFormat(value, "--log-format") },
                "--xks-allow-http" => options with
                {
                    XksAllowPlainHttp = value switch { "true" => true, "false" => false, _ => throw new UsageException("--xks-allow-http needs true or false") },
                },
                "--custom-key-store-quota" => options with
                {
                    CustomKeyStoresPerAccount = int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
                        ? n : throw new UsageException("--custom-key-store-quota needs a positive whole number"),
                },
                // --deletion-interval is the option's earlier name, still accepted.
                "--lifecycle-interval" or "--deletion-interval" => options with
                {
                    LifecycleJobInterval = double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0
                        ? TimeSpan.FromSeconds(s) : throw new UsageException($"{args[i]} needs a positive number of seconds"),
                },
                _ => throw new UsageException($"unknown option '{args[i]}'"),
            };
            i++;
        }
        if (config is not null)
        {
            try { options = options with { Hsm = Keyward.Pkcs11.HsmConfiguration.Load(config) }; }
            catch (Keyward.Pkcs11.Pkcs11ConfigurationException e) { return Fail(e.Message); }
            catch (IOException e) { return Fail($"cannot read {config}: {e.Message}"); }
        }
        if (options.AccountId.Length != 12 || !options.AccountId.All(char.IsAsciiDigit))
            throw new UsageException("--account-id must be 12 digits");

        KmsHost host;
        try { host = await KmsHost.StartAsync(options); }
        catch (DataDirectoryInUseException e)
        {
            Console.Error.WriteLine($"keyward: {e.Message}");
            return 1;
        }
        catch (ServerConfigurationException e)
        {
            return Fail(e.Message);
        }
        catch (SealException e)
        {
            Console.Error.WriteLine($"keyward: {e.Message}");
            return 1;
        }
        catch (Keyward.Core.Storage.StorageUnavailableException e)
        {
            Console.Error.WriteLine($"keyward: {e.Message} ({e.InnerException?.Message})");
            return 1;
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("bind", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"keyward: cannot listen on {options.Listen}: {e.Message}");
            return 1;
        }
        await using (host)
        {
            await host.WaitForShutdownAsync();
        }
        return 0;
    }

    private static int IdentitiesCheck(string file)
    {
        try { return IdentitiesCommand.Check(file, Console.Out); }
        catch (ServerConfigurationException e)
        {
            Console.Error.WriteLine($"keyward: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> AuditAsync(string verb, string[] args)
    {
        var options = new KmsServerOptions { Database = Env("KEYWARD_DATABASE") };
        string? key = null, principal = null, eventName = null;
        DateTimeOffset? since = null, until = null;
        try
        {
            for (var i = 0; i < args.Length; i += 2)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new UsageException($"option {args[i]} needs a value");
                switch (args[i])
                {
                    case "--data-dir": options = options with { DataDir = value }; break;
                    case "--database": options = options with { Database = value }; break;
                    case "--key" when verb == "query": key = value; break;
                    case "--principal" when verb == "query": principal = value; break;
                    case "--event" when verb == "query": eventName = value; break;
                    case "--since" when verb == "query": since = AuditCommand.ParseTime(value); break;
                    case "--until" when verb == "query": until = AuditCommand.ParseTime(value); break;
                    default: throw new UsageException($"unknown option '{args[i]}'");
                }
            }
            return verb == "verify"
                ? await AuditCommand.VerifyAsync(options, Console.Out)
                : await AuditCommand.QueryAsync(options, Console.Out, key, principal, eventName, since, until);
        }
        catch (ServerConfigurationException e) { return Fail(e.Message); }
        catch (Keyward.Core.Storage.StorageUnavailableException e)
        {
            Console.Error.WriteLine($"keyward: {e.Message} ({e.InnerException?.Message})");
            return 1;
        }
    }

    /// <summary>The options backup and restore share with serve (--data-dir, --database, --config), and their own.</summary>
    private static (KmsServerOptions Options, Dictionary<string, string> Own) BackupOptions(string[] args, params string[] own)
    {
        var options = new KmsServerOptions { Database = Env("KEYWARD_DATABASE") };
        var config = Env("KEYWARD_CONFIG");
        var values = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new UsageException($"option {args[i]} needs a value");
            switch (args[i])
            {
                case "--data-dir": options = options with { DataDir = value }; break;
                case "--database": options = options with { Database = value }; break;
                case "--config": config = value; break;
                case var name when own.Contains(name): values[name] = value; break;
                default: throw new UsageException($"unknown option '{args[i]}'");
            }
        }
        if (config is not null)
        {
            try { options = options with { Hsm = Keyward.Pkcs11.HsmConfiguration.Load(config) }; }
            catch (Keyward.Pkcs11.Pkcs11ConfigurationException e) { throw new ServerConfigurationException(e.Message); }
            catch (IOException e) { throw new ServerConfigurationException($"cannot read {config}: {e.Message}"); }
        }
        return (options, values);
    }

    private static async Task<int> BackupAsync(string[] args)
    {
        var (options, own) = BackupOptions(args, "--to");
        if (!own.TryGetValue("--to", out var to)) throw new UsageException("backup needs --to <file>");
        return await Refusing(() => Task.FromResult(BackupCommand.Backup(options, to, Console.Out)));
    }

    /// <summary>`keyward seed FILE`: what `serve --seed FILE` does at start, on a stopped data directory, then exits.</summary>
    private static async Task<int> SeedAsync(string file, string[] args)
    {
        var (options, _) = BackupOptions(args);
        options = options with { SeedFile = file, Listen = "http://127.0.0.1:0", RunLifecycleJob = false, AccessLog = false };
        return await Refusing(async () =>
        {
            await using var host = await KmsHost.StartAsync(options);
            return 0;
        });
    }

    private static async Task<int> SealRotateAsync(string[] args)
    {
        var (options, _) = BackupOptions(args);
        return await Refusing(() => SealRotationCommand.RunAsync(options, Console.Out));
    }

    private static async Task<int> RestoreAsync(string from, string[] args)
    {
        var (options, own) = BackupOptions(args, "--root-key");
        if (!args.Contains("--data-dir")) throw new UsageException("restore needs --data-dir <dir> (an empty one)");
        return await Refusing(() => BackupCommand.RestoreAsync(options, from, own.GetValueOrDefault("--root-key"), Console.Out));
    }

    /// <summary>Expected refusals (a file that exists, a seal that does not open, a directory in use) are one line and exit 1.</summary>
    private static async Task<int> Refusing(Func<Task<int>> run)
    {
        try { return await run(); }
        catch (Exception e) when (e is ServerConfigurationException or SealException or DataDirectoryInUseException or IOException
                                      or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or InvalidDataException)
        {
            Console.Error.WriteLine($"keyward: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> DbMigrateAsync(string[] args)
    {
        var options = new KmsServerOptions { Database = Env("KEYWARD_DATABASE") };
        for (var i = 0; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new UsageException($"option {args[i]} needs a value");
            options = args[i] switch
            {
                "--data-dir" => options with { DataDir = value },
                "--database" => options with { Database = value },
                _ => throw new UsageException($"unknown option '{args[i]}'"),
            };
        }
        try { return await DatabaseMigrationCommand.RunAsync(options, Console.Out); }
        catch (DataDirectoryInUseException e)
        {
            Console.Error.WriteLine($"keyward: {e.Message}");
            return 1;
        }
        catch (ServerConfigurationException e) { return Fail(e.Message); }
        catch (Keyward.Core.Storage.StorageUnavailableException e)
        {
            Console.Error.WriteLine($"keyward: {e.Message} ({e.InnerException?.Message})");
            return 1;
        }
    }

    private static async Task<int> SealMigrateAsync(string[] args)
    {
        var options = new KmsServerOptions { Database = Env("KEYWARD_DATABASE") };
        string? config = Env("KEYWARD_CONFIG");
        for (var i = 0; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new UsageException($"option {args[i]} needs a value");
            switch (args[i])
            {
                case "--data-dir": options = options with { DataDir = value }; break;
                case "--config": config = value; break;
                case "--database": options = options with { Database = value }; break;
                default: throw new UsageException($"unknown option '{args[i]}'");
            }
        }
        if (config is null) throw new UsageException("seal migrate needs --config naming the PKCS#11 seal");
        try
        {
            options = options with { Hsm = Keyward.Pkcs11.HsmConfiguration.Load(config) };
            return await SealMigrationCommand.RunAsync(options, Console.Out);
        }
        catch (Exception e) when (e is SealException or Keyward.Pkcs11.Pkcs11ConfigurationException or IOException)
        {
            Console.Error.WriteLine($"keyward: {e.Message}");
            return 1;
        }
    }

    /// <summary>An option's or variable's <c>on</c> or <c>off</c> (<paramref name="name"/> names it in the error).</summary>
    private static bool OnOff(string value, string name) =>
        value switch { "on" => true, "off" => false, _ => throw new UsageException($"{name} needs on or off") };

    private static LogFormat ParseLogFormat(string value, string name) =>
        value switch { "text" => LogFormat.Text, "json" => LogFormat.Json, _ => throw new UsageException($"{name} needs text or json") };

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static string Version =>
        typeof(Commands).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            is [System.Reflection.AssemblyInformationalVersionAttribute v, ..] ? v.InformationalVersion : "0.0.0";

    /// <summary>The usage lines of one command: from its line in <see cref="Usage"/> to the next command's.</summary>
    private static int Help(string command)
    {
        var lines = Usage.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("  " + command + " ", StringComparison.Ordinal) || l == "  " + command);
        if (start < 0)
        {
            Console.WriteLine(Usage);
            return 0;
        }
        // A command's block ends at an empty line or where a line starts another command: two spaces, then a letter.
        bool StartsAnotherCommand(string l) => l.Length > 2 && l.StartsWith("  ", StringComparison.Ordinal) && char.IsAsciiLetter(l[2])
                                               && !l.StartsWith("  " + command + " ", StringComparison.Ordinal);
        var end = start + 1;
        while (end < lines.Length && lines[end].Length > 0 && !StartsAnotherCommand(lines[end])) end++;
        Console.WriteLine("usage: keyward " + command + " [options]\n");
        foreach (var l in lines[start..end]) Console.WriteLine(l);
        return 0;
    }

    /// <summary>", did you mean 'x'?" for the closest of <paramref name="known"/> within two edits, else nothing.</summary>
    private static string Suggest(string given, IEnumerable<string> known)
    {
        var best = known.Select(k => (k, d: Distance(given.TrimStart('-'), k.TrimStart('-')))).OrderBy(p => p.d).FirstOrDefault();
        return best.k is not null && best.d <= 2 ? $"; did you mean '{best.k}'?" : "";
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var next = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = next;
            }
        }
        return row[b.Length];
    }

    private static readonly string[] ServeOptions =
    [
        "--listen", "--data-dir", "--database", "--identities", "--region", "--account-id", "--tls-cert", "--tls-key", "--xks-ca",
        "--xks-allow-http", "--custom-key-store-quota", "--lifecycle-interval", "--deletion-interval", "--config", "--request-quotas",
        "--access-log", "--log-format", "--seed",
    ];

    /// <summary>An option the command does not know is named as such (with the closest one it knows), before its value is looked at.</summary>
    private static void RequireKnown(string option, IEnumerable<string> known)
    {
        var list = known.ToList();
        if (!list.Contains(option)) throw new UsageException($"unknown option '{option}'{Suggest(option, list)}");
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"keyward: {message}");
        Console.Error.WriteLine("run 'keyward help' for usage");
        return 2;
    }

    private sealed class UsageException(string message) : Exception(message);
}
