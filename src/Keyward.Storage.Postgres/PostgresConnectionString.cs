using Npgsql;

namespace Keyward.Storage.Postgres;

/// <summary>
/// `--database` as a postgresql:// (or postgres://) URI or as an Npgsql connection string, turned into
/// an Npgsql connection string with Keyward's bounds: a connection attempt and a command each give up
/// after a few seconds, so a database outage becomes an error the client can retry, not a hang.
/// </summary>
internal static class PostgresConnectionString
{
    public static string Parse(string database)
    {
        var builder = database.StartsWith("postgresql://", StringComparison.Ordinal) || database.StartsWith("postgres://", StringComparison.Ordinal)
            ? FromUri(database)
            : new NpgsqlConnectionStringBuilder(database);
        // Npgsql's defaults (15 s, 30 s) are replaced unless the string set them.
        if (!Names(database, "timeout")) builder.Timeout = 5;
        if (!Names(database, "command timeout") && !Names(database, "commandtimeout")) builder.CommandTimeout = 10;
        builder.ApplicationName ??= "keyward";
        return builder.ConnectionString;
    }

    /// <summary>Host, port and database, without user or password: safe for a log line.</summary>
    public static string Describe(string database)
    {
        var b = new NpgsqlConnectionStringBuilder(Parse(database));
        return $"postgresql://{b.Host}:{b.Port}/{b.Database}";
    }

    private static bool Names(string database, string key) =>
        database.Split(';').Any(p => p.Split('=', 2)[0].Trim().Equals(key, StringComparison.OrdinalIgnoreCase))
        || database.Contains("connect_timeout=", StringComparison.Ordinal) && key == "timeout";

    private static NpgsqlConnectionStringBuilder FromUri(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new ArgumentException("--database is not a valid postgresql:// URI.");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "keyward",
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        // Query parameters in libpq style: sslmode, application_name, connect_timeout.
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            switch (kv[0])
            {
                case "sslmode": b.SslMode = Enum.Parse<SslMode>(value.Replace("-", ""), ignoreCase: true); break;
                case "application_name": b.ApplicationName = value; break;
                case "connect_timeout":
                    b.Timeout = int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var t)
                        ? t : throw new ArgumentException("--database: connect_timeout must be a whole number of seconds.");
                    break;
                default: throw new ArgumentException($"--database: unsupported URI parameter '{kv[0]}'.");
            }
        }
        return b;
    }
}
