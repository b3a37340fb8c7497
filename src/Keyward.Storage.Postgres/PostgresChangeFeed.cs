using System.Globalization;
using Keyward.Core.Storage;
using Npgsql;

namespace Keyward.Storage.Postgres;

/// <summary>
/// One connection that LISTENs on <see cref="PostgresMigrations.Channel"/> and turns each notice
/// (raised by the triggers of migration 2 when a write commits) into a <see cref="StorageChange"/>.
/// While the connection is down notices are lost, so every (re)connection raises <c>Reset</c>.
/// A keepalive query every few seconds finds a silently dead connection.
/// </summary>
internal sealed class PostgresChangeFeed : IDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public PostgresChangeFeed(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { KeepAlive = 5, Pooling = false, ApplicationName = "keyward-changes" };
        _source = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public event Action<StorageChange>? Changed;
    public event Action? Reset;

    /// <summary>True while the LISTEN connection is up (tests and health).</summary>
    public bool Listening { get; private set; }

    public void Start() => _loop ??= Task.Run(LoopAsync);

    private async Task LoopAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var c = await _source.OpenConnectionAsync(ct);
                c.Notification += (_, e) => Deliver(e.Payload);
                await using (var listen = new NpgsqlCommand("LISTEN " + PostgresMigrations.Channel, c)) await listen.ExecuteNonQueryAsync(ct);
                Listening = true;
                // Anything committed before LISTEN took effect may be cached stale: forget it all.
                Reset?.Invoke();
                while (true) await c.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception)
            {
                // The database is down or the connection broke: caches fall back to their maximum age.
                Listening = false;
                Reset?.Invoke();
                try { await Task.Delay(TimeSpan.FromSeconds(1), ct); }
                catch (OperationCanceledException) { break; }
            }
        }
        Listening = false;
    }

    /// <summary>Payload "k|s|a|g &lt;version&gt; &lt;id&gt;"; anything else is ignored.</summary>
    private void Deliver(string payload)
    {
        var parts = payload.Split(' ', 3);
        if (parts.Length != 3 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var version)) return;
        StorageChangeKind? kind = parts[0] switch
        {
            "k" => StorageChangeKind.Key,
            "a" => StorageChangeKind.Alias,
            "s" => StorageChangeKind.CustomKeyStore,
            "g" => StorageChangeKind.Grants,
            _ => null,
        };
        if (kind is { } k) Changed?.Invoke(new StorageChange(k, parts[2], version));
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
        _source.Dispose();
    }
}
