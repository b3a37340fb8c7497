using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

/// <summary>
/// A consistent copy of a live SQLite database through SQLite's online backup API: one step over a read snapshot, so
/// the copy is the database as of one moment, while the server goes on writing (WAL readers do not block writers).
/// </summary>
public static class SqliteBackup
{
    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/>, a file that must not exist yet (made owner only).</summary>
    public static (int Keys, long Bytes) Copy(string source, string destination)
    {
        // Refuses an existing file; owner only whatever the umask.
        using (Keyward.Core.Seal.PrivateFile.Open(destination, FileMode.CreateNew, FileAccess.Write)) { }
        try
        {
            using var from = new SqliteConnection(new SqliteConnectionStringBuilder
                { DataSource = source, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            using var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = destination, Pooling = false }.ToString());
            from.Open();
            to.Open();
            from.BackupDatabase(to);
            // The copy is a database of its own, not a WAL half: a single file, checked before it is called a backup.
            using (var journal = to.CreateCommand())
            {
                journal.CommandText = "PRAGMA journal_mode = DELETE";
                journal.ExecuteNonQuery();
            }
            using var check = to.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            if (check.ExecuteScalar() as string != "ok") throw new InvalidDataException($"The copy {destination} fails SQLite's integrity check.");
            check.CommandText = "SELECT COUNT(*) FROM keys";
            var keys = Convert.ToInt32(check.ExecuteScalar());
            to.Close();
            return (keys, new FileInfo(destination).Length);
        }
        catch
        {
            File.Delete(destination);
            throw;
        }
    }
}
