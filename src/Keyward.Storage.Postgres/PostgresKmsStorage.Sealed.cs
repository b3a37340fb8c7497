using Keyward.Core.Seal;
using Keyward.Core.Storage;

namespace Keyward.Storage.Postgres;

public sealed partial class PostgresKmsStorage
{
    public ValueTask<IReadOnlyList<SealedValue>> ListSealedValuesAsync(CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        var values = new List<SealedValue>();
        async Task Collect(string sql, SealedKind kind)
        {
            await using var cmd = Command(c, null, sql);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) values.Add(new SealedValue(kind, r.GetString(0), r.GetString(1), (byte[])r[2]));
        }
        // HSM-store material is wrapped under its cluster key inside the HSMs, not by the barrier; an external key store
        // key's KMS-side material is the barrier's, like a default-store key's.
        await Collect("SELECT m.key_id, m.material_id, m.wrapped FROM key_materials m JOIN keys k ON k.key_id = m.key_id " +
                      "WHERE m.wrapped IS NOT NULL AND (k.custom_key_store_id IS NULL OR k.xks_key_id IS NOT NULL)", SealedKind.KeyMaterial);
        await Collect("SELECT key_id, token_id, wrapped_private_key FROM import_parameters", SealedKind.ImportWrappingKey);
        await Collect("SELECT custom_key_store_id, '', key_store_password FROM custom_key_stores WHERE key_store_password IS NOT NULL", SealedKind.CustomKeyStorePassword);
        await Collect("SELECT custom_key_store_id, '', xks_secret FROM custom_key_stores WHERE xks_secret IS NOT NULL", SealedKind.XksProxySecret);
        await Collect($"SELECT name, '', value FROM settings WHERE name = '{RootKeyBarrier.CheckSetting}'", SealedKind.SealCheck);
        return (IReadOnlyList<SealedValue>)values;
    }, cancellationToken);

    public ValueTask ReplaceSealedValuesAsync(IReadOnlyList<SealedValue> values, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        foreach (var v in values)
        {
            await using var cmd = Command(c, tx, v.Kind switch
            {
                SealedKind.KeyMaterial => "UPDATE key_materials SET wrapped = @v WHERE key_id = @a AND material_id = @b",
                SealedKind.ImportWrappingKey => "UPDATE import_parameters SET wrapped_private_key = @v WHERE key_id = @a AND token_id = @b",
                SealedKind.CustomKeyStorePassword => "UPDATE custom_key_stores SET key_store_password = @v WHERE custom_key_store_id = @a AND @b = ''",
                SealedKind.XksProxySecret => "UPDATE custom_key_stores SET xks_secret = @v WHERE custom_key_store_id = @a AND @b = ''",
                _ => "UPDATE settings SET value = @v WHERE name = @a AND @b = ''",
            });
            Bytes(cmd, "v", v.Value);
            Text(cmd, "a", v.Id1);
            Text(cmd, "b", v.Id2);
            if (await cmd.ExecuteNonQueryAsync(ct) != 1) throw new InvalidOperationException($"Sealed value {v.Kind} {v.Id1} vanished during the migration.");
        }
        return true;
    }, cancellationToken).AsUnit();
}
