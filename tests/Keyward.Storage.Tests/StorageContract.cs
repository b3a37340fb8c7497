using Keyward.Core.Keys;
using Keyward.Core.Storage;

namespace Keyward.Storage.Tests;

/// <summary>
/// The storage contract every implementation must pass (SQLite here; PostgreSQL joins by
/// deriving from this class). Each test gets a fresh, migrated store.
/// </summary>
public abstract class StorageContract : IAsyncLifetime
{
    private protected IKmsStorage Storage { get; private set; } = null!;

    private protected abstract IKmsStorage Open();

    /// <summary>Closes and reopens the store on the same data (durability checks).</summary>
    private protected abstract IKmsStorage Reopen();

    public async Task InitializeAsync()
    {
        Storage = Open();
        await Storage.MigrateAsync();
    }

    public virtual Task DisposeAsync()
    {
        Storage.Dispose();
        return Task.CompletedTask;
    }

    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);

    private protected static KeyRecord NewKey(string account = "111122223333", string? id = null) => new()
    {
        KeyId = id ?? KeyIds.New(),
        AccountId = account,
        CreationDate = T0,
        Description = "d",
        KeySpec = "SYMMETRIC_DEFAULT",
        KeyUsage = "ENCRYPT_DECRYPT",
        Origin = "AWS_KMS",
        State = KeyState.Enabled,
        CurrentMaterialId = null,
        Policy = "{}",
        Version = 1,
    };

    [Fact]
    public async Task Created_key_reads_back_field_for_field()
    {
        var key = NewKey() with { CurrentMaterialId = new string('c', 64), DeletionDate = T0.AddDays(7), PendingWindowInDays = 7, State = KeyState.PendingDeletion };
        var material = new MaterialRecord(key.KeyId, key.CurrentMaterialId!, [1, 2, 3], T0);
        await Storage.CreateKeyAsync(key, material, [new TagRecord("a", "1")]);
        Assert.Equal(key, await Storage.GetKeyAsync(key.KeyId));
        var read = await Storage.GetMaterialAsync(key.KeyId, material.MaterialId);
        Assert.NotNull(read);
        Assert.Equal(material.Wrapped, read.Wrapped);
        Assert.Equal(T0, read.CreatedAt);
        Assert.Null(read.PublicKey);
        Assert.Null(await Storage.GetMaterialAsync(key.KeyId, new string('d', 64)));
        Assert.Equal([new TagRecord("a", "1")], await Storage.ListTagsAsync(key.KeyId));
    }

    [Fact]
    public async Task An_asymmetric_material_version_keeps_its_public_key()
    {
        var key = NewKey() with { KeySpec = "ECC_NIST_P256", KeyUsage = "SIGN_VERIFY", CurrentMaterialId = new string('e', 64) };
        var material = new MaterialRecord(key.KeyId, key.CurrentMaterialId!, [9, 9], T0, [0x30, 0x59, 0x01]);
        await Storage.CreateKeyAsync(key, material, []);
        var read = await Storage.GetMaterialAsync(key.KeyId, material.MaterialId);
        Assert.Equal(new byte[] { 0x30, 0x59, 0x01 }, read!.PublicKey);
        Assert.Equal(key, await Storage.GetKeyAsync(key.KeyId));
    }

    [Fact]
    public async Task Update_is_optimistic()
    {
        var key = NewKey();
        await Storage.CreateKeyAsync(key, null, []);
        var first = await Storage.UpdateKeyAsync(key with { State = KeyState.Disabled });
        Assert.NotNull(first);
        Assert.Equal(2, first.Version);
        // A writer that read version 1 loses.
        Assert.Null(await Storage.UpdateKeyAsync(key with { Description = "stale" }));
        Assert.Equal(KeyState.Disabled, (await Storage.GetKeyAsync(key.KeyId))!.State);
        Assert.Equal("d", (await Storage.GetKeyAsync(key.KeyId))!.Description);
    }

    [Fact]
    public async Task Keys_list_by_account_in_pages()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var k = NewKey();
            ids.Add(k.KeyId);
            await Storage.CreateKeyAsync(k, null, []);
        }
        await Storage.CreateKeyAsync(NewKey("444455556666"), null, []);
        ids.Sort(StringComparer.Ordinal);
        var page1 = await Storage.ListKeysAsync("111122223333", null, 3);
        var page2 = await Storage.ListKeysAsync("111122223333", page1[^1].KeyId, 3);
        Assert.Equal(ids, page1.Concat(page2).Select(k => k.KeyId));
    }

    [Fact]
    public async Task Deleting_a_key_takes_material_aliases_and_tags_with_it()
    {
        var key = NewKey() with { CurrentMaterialId = new string('e', 64) };
        await Storage.CreateKeyAsync(key, new MaterialRecord(key.KeyId, key.CurrentMaterialId!, [1], T0), [new TagRecord("t", "v")]);
        Assert.True(await Storage.CreateAliasAsync(new AliasRecord(key.AccountId, "alias/x", key.KeyId, T0, T0)));
        Assert.False(await Storage.DeleteKeyAsync(key.KeyId, expectedVersion: 7));
        Assert.True(await Storage.DeleteKeyAsync(key.KeyId, key.Version));
        Assert.Null(await Storage.GetKeyAsync(key.KeyId));
        Assert.Null(await Storage.GetMaterialAsync(key.KeyId, key.CurrentMaterialId!));
        Assert.Null(await Storage.GetAliasAsync(key.AccountId, "alias/x"));
        Assert.Empty(await Storage.ListTagsAsync(key.KeyId));
    }

    [Fact]
    public async Task Due_keys_are_those_pending_deletion_up_to_now()
    {
        var due = NewKey() with { State = KeyState.PendingDeletion, DeletionDate = T0, PendingWindowInDays = 7 };
        var later = NewKey() with { State = KeyState.PendingDeletion, DeletionDate = T0.AddDays(1), PendingWindowInDays = 7 };
        await Storage.CreateKeyAsync(due, null, []);
        await Storage.CreateKeyAsync(later, null, []);
        await Storage.CreateKeyAsync(NewKey(), null, []);
        Assert.Equal([due.KeyId], (await Storage.ListKeysDueForDeletionAsync(T0, 10)).Select(k => k.KeyId));
    }

    [Fact]
    public async Task Aliases_are_unique_per_account_and_update_and_list()
    {
        var key = NewKey();
        var other = NewKey();
        await Storage.CreateKeyAsync(key, null, []);
        await Storage.CreateKeyAsync(other, null, []);
        Assert.True(await Storage.CreateAliasAsync(new AliasRecord(key.AccountId, "alias/b", key.KeyId, T0, T0)));
        Assert.False(await Storage.CreateAliasAsync(new AliasRecord(key.AccountId, "alias/b", other.KeyId, T0, T0)));
        Assert.True(await Storage.CreateAliasAsync(new AliasRecord(key.AccountId, "alias/a", other.KeyId, T0, T0)));
        Assert.True(await Storage.UpdateAliasAsync(key.AccountId, "alias/b", other.KeyId, T0.AddSeconds(1)));
        Assert.False(await Storage.UpdateAliasAsync(key.AccountId, "alias/none", other.KeyId, T0));
        var b = await Storage.GetAliasAsync(key.AccountId, "alias/b");
        Assert.Equal(other.KeyId, b!.TargetKeyId);
        Assert.Equal(T0.AddSeconds(1), b.LastUpdatedDate);
        Assert.Equal(["alias/a", "alias/b"], (await Storage.ListAliasesAsync(key.AccountId, null, null, 10)).Select(a => a.AliasName));
        Assert.Equal(["alias/b"], (await Storage.ListAliasesAsync(key.AccountId, null, "alias/a", 10)).Select(a => a.AliasName));
        Assert.Empty(await Storage.ListAliasesAsync(key.AccountId, key.KeyId, null, 10));
        Assert.True(await Storage.DeleteAliasAsync(key.AccountId, "alias/a"));
        Assert.False(await Storage.DeleteAliasAsync(key.AccountId, "alias/a"));
    }

    [Fact]
    public async Task Tags_upsert_and_remove()
    {
        var key = NewKey();
        await Storage.CreateKeyAsync(key, null, [new TagRecord("a", "1"), new TagRecord("b", "2")]);
        await Storage.ChangeTagsAsync(key.KeyId, [new TagRecord("a", "9"), new TagRecord("c", "3")], ["b", "zz"]);
        Assert.Equal([new TagRecord("a", "9"), new TagRecord("c", "3")], await Storage.ListTagsAsync(key.KeyId));
    }

    [Fact]
    public async Task Settings_are_written_once()
    {
        Assert.Null(await Storage.GetSettingAsync("s"));
        Assert.Equal(new byte[] { 1 }, await Storage.GetOrAddSettingAsync("s", [1]));
        Assert.Equal(new byte[] { 1 }, await Storage.GetOrAddSettingAsync("s", [2]));
    }

    [Fact]
    public async Task Writes_survive_reopening_and_migration_is_idempotent()
    {
        var key = NewKey();
        await Storage.CreateKeyAsync(key, null, [new TagRecord("k", "v")]);
        Storage.Dispose();
        Storage = Reopen();
        await Storage.MigrateAsync();
        await Storage.MigrateAsync();
        Assert.Equal(key, await Storage.GetKeyAsync(key.KeyId));
    }

    [Fact]
    public async Task Concurrent_writers_never_lose_an_update()
    {
        var key = NewKey();
        await Storage.CreateKeyAsync(key, null, []);
        var winners = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var current = (await Storage.GetKeyAsync(key.KeyId))!;
                if (await Storage.UpdateKeyAsync(current with { Description = current.Description + i }) is not null)
                {
                    Interlocked.Increment(ref winners);
                    return;
                }
            }
        })));
        var final = (await Storage.GetKeyAsync(key.KeyId))!;
        Assert.Equal(8, winners);
        Assert.Equal(9, final.Version);
        Assert.Equal(1 + 8, final.Description.Length);
    }
}
