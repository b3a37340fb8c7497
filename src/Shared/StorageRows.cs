using System.Data.Common;
using System.Text;
using System.Text.Json;
using Keyward.Core.Audit;
using Keyward.Core.Import;
using Keyward.Core.Keys;

namespace Keyward.Storage;

/// <summary>
/// Rows to records, shared by the SQLite and PostgreSQL storage (compiled into both): the two
/// schemas have the same columns in the same order (<c>KeyColumns</c>, <c>MaterialColumns</c>,
/// <c>StoreColumns</c>, <c>AliasColumns</c> of each), times as Unix milliseconds, flags as
/// integers (SQLite) or booleans (PostgreSQL), both read by GetBoolean.
/// </summary>
internal static class StorageRows
{
    public static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static DateTimeOffset? NullableTime(DbDataReader r, int i) => r.IsDBNull(i) ? null : Time(r.GetInt64(i));

    public static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static byte[]? NullableBytes(DbDataReader r, int i) => r.IsDBNull(i) ? null : (byte[])r.GetValue(i);

    public static int? NullableInt(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);

    /// <summary>A key row; its key_id is the storage id (KeyIds.StorageId), its KeyId the id clients see.</summary>
    public static KeyRecord Key(DbDataReader r) => new()
    {
        KeyId = KeyIds.PublicId(r.GetString(0)),
        Region = SharedStrings.Of(r.GetString(21)),
        PrimaryRegion = NullableString(r, 22),
        AccountId = SharedStrings.Of(r.GetString(1)),
        CreationDate = Time(r.GetInt64(2)),
        Description = r.GetString(3),
        KeySpec = SharedStrings.Of(r.GetString(4)),
        KeyUsage = SharedStrings.Of(r.GetString(5)),
        Origin = SharedStrings.Of(r.GetString(6)),
        State = Enum.Parse<KeyState>(r.GetString(7)),
        DeletionDate = NullableTime(r, 8),
        PendingWindowInDays = NullableInt(r, 9),
        CurrentMaterialId = NullableString(r, 10),
        Policy = SharedStrings.Of(r.GetString(11)),
        Version = r.GetInt64(12),
        RotationPeriodInDays = NullableInt(r, 13),
        NextRotationDate = NullableTime(r, 14),
        OnDemandRotationStartDate = NullableTime(r, 15),
        OnDemandRotations = r.GetInt32(16),
        ExpirationModel = NullableString(r, 17),
        ValidTo = NullableTime(r, 18),
        CustomKeyStoreId = NullableString(r, 19),
        XksKeyId = NullableString(r, 20),
    };

    public static MaterialRecord Material(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), NullableBytes(r, 3), Time(r.GetInt64(5)), NullableBytes(r, 4))
        {
            Sequence = r.GetInt32(2),
            RotationType = NullableString(r, 6),
            RotationDate = NullableTime(r, 7),
            PendingRotation = r.GetBoolean(8),
            ExpirationModel = NullableString(r, 9),
            ValidTo = NullableTime(r, 10),
            Description = NullableString(r, 11),
        };

    public static CustomKeyStoreRecord Store(DbDataReader r) => new()
    {
        CustomKeyStoreId = r.GetString(0),
        AccountId = r.GetString(1),
        Name = r.GetString(2),
        StoreType = r.GetString(3),
        CloudHsmClusterId = NullableString(r, 4),
        TrustAnchorCertificate = NullableString(r, 5),
        Password = NullableBytes(r, 6),
        ConnectionState = r.GetString(7),
        ConnectionErrorCode = NullableString(r, 8),
        CreationDate = Time(r.GetInt64(9)),
        Version = r.GetInt64(10),
        XksProxyUriEndpoint = NullableString(r, 11),
        XksProxyUriPath = NullableString(r, 12),
        XksProxyConnectivity = NullableString(r, 13),
        XksAccessKeyId = NullableString(r, 14),
        XksSecret = NullableBytes(r, 15),
        Region = r.GetString(16),
    };

    public static AliasRecord Alias(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), Time(r.GetInt64(3)), Time(r.GetInt64(4))) { Region = r.GetString(5) };

    /// <summary>token_id, key_id, wrapping_key_spec, wrapping_algorithm, wrapped_private_key, valid_to.</summary>
    public static ImportParametersRecord ImportParameters(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), (byte[])r.GetValue(4), Time(r.GetInt64(5)));

    public const string GrantColumns =
        "grant_id, key_id, name, grantee_principal, retiring_principal, issuing_account, operations, ec_subset, ec_equals, creation_date";

    public static GrantRecord Grant(DbDataReader r) => new()
    {
        GrantId = r.GetString(0),
        KeyId = r.GetString(1),
        Name = r.GetString(2),
        GranteePrincipal = r.GetString(3),
        RetiringPrincipal = NullableString(r, 4),
        IssuingAccount = r.GetString(5),
        Operations = r.GetString(6).Split(',', StringSplitOptions.RemoveEmptyEntries),
        EncryptionContextSubset = ParseContext(NullableString(r, 7)),
        EncryptionContextEquals = ParseContext(NullableString(r, 8)),
        CreationDate = Time(r.GetInt64(9)),
    };

    /// <summary>A grant constraint's encryption context as a JSON object (null stays null).</summary>
    public static string? ContextJson(IReadOnlyDictionary<string, string>? context)
    {
        if (context is null) return null;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (k, v) in context.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static Dictionary<string, string>? ParseContext(string? json)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
    }

    public const string AuditColumns = "seq, event_time, event_name, principal_arn, key_arns, json, prev_hash, hash";

    public static AuditRecord Audit(DbDataReader r) =>
        new(r.GetInt64(0), Time(r.GetInt64(1)), r.GetString(2), r.GetString(3), NullableString(r, 4), Encoding.UTF8.GetString((byte[])r.GetValue(5)),
            (byte[])r.GetValue(6), (byte[])r.GetValue(7));

    public static KeyUsageRecord KeyUsage(DbDataReader r) => new(r.GetString(0), Time(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4));

    /// <summary>Records the last successful use of a key (parameters @arn, @t, @op, @event, @request); an older use never overwrites a newer one.</summary>
    public const string KeyUsageUpsert =
        "INSERT INTO key_usage (key_arn, event_time, operation, event_id, request_id) VALUES (@arn, @t, @op, @event, @request) " +
        "ON CONFLICT (key_arn) DO UPDATE SET event_time = excluded.event_time, operation = excluded.operation, " +
        "event_id = excluded.event_id, request_id = excluded.request_id WHERE excluded.event_time >= key_usage.event_time";

    /// <summary>Writes a setting, replacing its value (parameters @n, @v).</summary>
    public const string SettingUpsert = "INSERT INTO settings (name, value) VALUES (@n, @v) ON CONFLICT (name) DO UPDATE SET value = excluded.value";

    /// <summary>For each key a batch of events used, the last event that used it (events are in order): one usage row per key per batch.</summary>
    public static IEnumerable<(string KeyArn, AuditEvent Event)> LastKeyUses(IReadOnlyList<AuditEvent> events)
    {
        var last = new Dictionary<string, AuditEvent>(StringComparer.Ordinal);
        foreach (var e in events) NoteKeyUse(last, e);
        return last.Select(p => (p.Key, p.Value));
    }

    /// <summary>Records <paramref name="e"/> as the last use of each key it used (events come in order).</summary>
    public static void NoteKeyUse(Dictionary<string, AuditEvent> last, AuditEvent e)
    {
        if (!e.UsedKey) return;
        foreach (var arn in e.KeyArns) last[arn] = e;
    }

    /// <summary>The key_arns column: the touched keys separated by spaces (ARNs hold none), or null.</summary>
    public static string? KeyArns(AuditEvent e) => e.KeyArns.Count switch
    {
        0 => null,
        1 => e.KeyArns[0], // the common case, on every indexed event
        _ => string.Join(' ', e.KeyArns.Distinct(StringComparer.Ordinal)),
    };
}
