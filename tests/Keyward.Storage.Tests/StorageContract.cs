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

    private protected const string R = "us-east-1";

    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);

    private protected static KeyRecord NewKey(string account = "111122223333", string? id = null) => new()
    {
        KeyId = id ?? KeyIds.New(),
        AccountId = account,
        Region = R,
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
    public async Task Keys_are_counted_by_state_over_every_account()
    {
        var before = await Storage.CountKeysByStateAsync();
        await Storage.CreateKeyAsync(NewKey(), null, []);
        await Storage.CreateKeyAsync(NewKey("444455556666"), null, []);
        await Storage.CreateKeyAsync(NewKey() with { State = KeyState.Disabled }, null, []);
        var after = await Storage.CountKeysByStateAsync();
        Assert.Equal(before.GetValueOrDefault("Enabled") + 2, after["Enabled"]);
        Assert.Equal(before.GetValueOrDefault("Disabled") + 1, after["Disabled"]);
        Assert.DoesNotContain("PendingDeletion", after.Keys.Except(before.Keys));
    }

    [Fact]
    public async Task Keys_with_the_same_policy_read_back_one_shared_policy_string()
    {
        var policy = "{\"Version\":\"2012-10-17\",\"Id\":\"shared-" + Guid.NewGuid() + "\"}";
        var a = NewKey() with { Policy = new string(policy.AsSpan()) };
        var b = NewKey() with { Policy = new string(policy.AsSpan()) };
        await Storage.CreateKeyAsync(a, null, []);
        await Storage.CreateKeyAsync(b, null, []);
        var readA = await Storage.GetKeyAsync(a.KeyId);
        var readB = await Storage.GetKeyAsync(b.KeyId);
        Assert.Equal(policy, readA!.Policy);
        Assert.Same(readA.Policy, readB!.Policy);
        Assert.Same(readA.KeySpec, readB.KeySpec);
    }

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
        var first = await Storage.UpdateKeyAsync(key with { State = KeyState.Disabled }, [], []);
        Assert.NotNull(first);
        Assert.Equal(2, first.Version);
        // A writer that read version 1 loses.
        Assert.Null(await Storage.UpdateKeyAsync(key with { Description = "stale" }, [], []));
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
        var page1 = await Storage.ListKeysAsync("111122223333", R, null, 3);
        var page2 = await Storage.ListKeysAsync("111122223333", R, page1[^1].KeyId, 3);
        Assert.Equal(ids, page1.Concat(page2).Select(k => k.KeyId));
    }

    [Fact]
    public async Task Deleting_a_key_takes_material_aliases_and_tags_with_it()
    {
        var key = NewKey() with { CurrentMaterialId = new string('e', 64) };
        await Storage.CreateKeyAsync(key, new MaterialRecord(key.KeyId, key.CurrentMaterialId!, [1], T0), [new TagRecord("t", "v")]);
        Assert.True(await Storage.CreateAliasAsync(new AliasRecord(key.AccountId, "alias/x", key.KeyId, T0, T0) { Region = R }));
        Assert.False(await Storage.DeleteKeyAsync(key.KeyId, expectedVersion: 7));
        Assert.True(await Storage.DeleteKeyAsync(key.KeyId, key.Version));
        Assert.Null(await Storage.GetKeyAsync(key.KeyId));
        Assert.Null(await Storage.GetMaterialAsync(key.KeyId, key.CurrentMaterialId!));
        Assert.Null(await Storage.GetAliasAsync(key.AccountId, R, "alias/x"));
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
    public async Task Keys_aliases_and_custom_key_stores_belong_to_a_region()
    {
        const string eu = "eu-west-1";
        var here = NewKey();
        var there = NewKey() with { Region = eu };
        await Storage.CreateKeyAsync(here, null, []);
        await Storage.CreateKeyAsync(there, null, []);
        Assert.Equal([here.KeyId], (await Storage.ListKeysAsync(here.AccountId, R, null, 10)).Select(k => k.KeyId));
        Assert.Equal([there.KeyId], (await Storage.ListKeysAsync(here.AccountId, eu, null, 10)).Select(k => k.KeyId));
        Assert.Equal(eu, (await Storage.GetKeyAsync(there.KeyId))!.Region);

        // One alias name in each Region, each with its own target.
        Assert.True(await Storage.CreateAliasAsync(new AliasRecord(here.AccountId, "alias/same", here.KeyId, T0, T0) { Region = R }));
        Assert.True(await Storage.CreateAliasAsync(new AliasRecord(here.AccountId, "alias/same", there.KeyId, T0, T0) { Region = eu }));
        Assert.False(await Storage.CreateAliasAsync(new AliasRecord(here.AccountId, "alias/same", there.KeyId, T0, T0) { Region = eu }));
        Assert.Equal(here.KeyId, (await Storage.GetAliasAsync(here.AccountId, R, "alias/same"))!.TargetKeyId);
        Assert.Equal(there.KeyId, (await Storage.GetAliasAsync(here.AccountId, eu, "alias/same"))!.TargetKeyId);
        Assert.Single(await Storage.ListAliasesAsync(here.AccountId, eu, null, null, 10));
        Assert.True(await Storage.DeleteAliasAsync(here.AccountId, eu, "alias/same"));
        Assert.NotNull(await Storage.GetAliasAsync(here.AccountId, R, "alias/same"));

        // A custom key store's name is unique within its account and Region.
        Assert.True(await Storage.CreateCustomKeyStoreAsync(NewStore("store")));
        Assert.True(await Storage.CreateCustomKeyStoreAsync(NewStore("store") with { Region = eu }));
        Assert.False(await Storage.CreateCustomKeyStoreAsync(NewStore("store") with { Region = eu }));
        Assert.Equal([R, eu], (await Storage.ListCustomKeyStoresAsync("111122223333")).Select(s => s.Region).Order(StringComparer.Ordinal).Reverse());
    }

    [Fact]
    public async Task A_multi_region_key_is_a_row_per_region_written_together()
    {
        const string eu = "eu-west-1";
        var id = KeyIds.NewMultiRegion();
        var material = new string('a', 64);
        var primary = NewKey(id: id) with { PrimaryRegion = R, CurrentMaterialId = material };
        Assert.Equal($"{id}/{R}", primary.StorageId);
        await Storage.CreateKeyAsync(primary, new MaterialRecord(primary.StorageId, material, [1], T0), []);
        var replica = primary with { Region = eu, Description = "replica" };
        Assert.True(await Storage.CreateReplicaKeyAsync(replica, [new MaterialRecord(replica.StorageId, material, [2], T0) { Sequence = 1 }],
            [new TagRecord("t", "v")]));
        Assert.False(await Storage.CreateReplicaKeyAsync(replica, [], []));

        var family = await Storage.ListMultiRegionKeysAsync(id);
        Assert.Equal([R, eu], family.Select(k => k.Region).Order(StringComparer.Ordinal).Reverse());
        Assert.All(family, k => Assert.Equal(id, k.KeyId));
        Assert.All(family, k => Assert.Equal(R, k.PrimaryRegion));
        Assert.Equal([2], (await Storage.GetMaterialAsync(replica.StorageId, material))!.Wrapped);
        Assert.Single(await Storage.ListTagsAsync(replica.StorageId));
        Assert.Empty(await Storage.ListTagsAsync(primary.StorageId));
        Assert.Empty(await Storage.ListMultiRegionKeysAsync(KeyIds.NewMultiRegion()));

        // All or none: one stale version writes nothing.
        var stale = await Storage.UpdateKeysAsync([
            new KeyUpdate(family[0] with { PrimaryRegion = eu }, [], []),
            new KeyUpdate(family[1] with { PrimaryRegion = eu, Version = 99 }, [], [])]);
        Assert.Null(stale);
        Assert.All(await Storage.ListMultiRegionKeysAsync(id), k => Assert.Equal(R, k.PrimaryRegion));
        var stored = await Storage.UpdateKeysAsync([.. family.Select(k => new KeyUpdate(k with { PrimaryRegion = eu }, [], []))]);
        Assert.Equal(family.Select(k => k.Version + 1), stored!.Select(k => k.Version));
        Assert.All(await Storage.ListMultiRegionKeysAsync(id), k => Assert.Equal(eu, k.PrimaryRegion));
        Assert.True(await Storage.DeleteKeyAsync(replica.StorageId, stored!.Single(k => k.Region == eu).Version));
        Assert.Single(await Storage.ListMultiRegionKeysAsync(id));
    }

    [Fact]
    public async Task Aliases_are_unique_per_account_and_update_and_list()
    {
        var key = NewKey();
        var other = NewKey();
        await Storage.CreateKeyAsync(key, null, []);
        await Storage.CreateKeyAsync(other, null, []);
        Assert.True(await Storage.CreateAliasAsync(new AliasRecord(key.AccountId, "alias/b", key.KeyId, T0, T0) { Region = R }));
        Assert.False(await Storage.CreateAliasAsync(new AliasRecord(key.AccountId, "alias/b", other.KeyId, T0, T0) { Region = R }));
        Assert.True(await Storage.CreateAliasAsync(new AliasRecord(key.AccountId, "alias/a", other.KeyId, T0, T0) { Region = R }));
        Assert.True(await Storage.UpdateAliasAsync(key.AccountId, R, "alias/b", other.KeyId, T0.AddSeconds(1)));
        Assert.False(await Storage.UpdateAliasAsync(key.AccountId, R, "alias/none", other.KeyId, T0));
        var b = await Storage.GetAliasAsync(key.AccountId, R, "alias/b");
        Assert.Equal(other.KeyId, b!.TargetKeyId);
        Assert.Equal(T0.AddSeconds(1), b.LastUpdatedDate);
        Assert.Equal(["alias/a", "alias/b"], (await Storage.ListAliasesAsync(key.AccountId, R, null, null, 10)).Select(a => a.AliasName));
        Assert.Equal(["alias/b"], (await Storage.ListAliasesAsync(key.AccountId, R, null, "alias/a", 10)).Select(a => a.AliasName));
        Assert.Empty(await Storage.ListAliasesAsync(key.AccountId, R, key.KeyId, null, 10));
        Assert.True(await Storage.DeleteAliasAsync(key.AccountId, R, "alias/a"));
        Assert.False(await Storage.DeleteAliasAsync(key.AccountId, R, "alias/a"));
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
                if (await Storage.UpdateKeyAsync(current with { Description = current.Description + i }, [], []) is not null)
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

    [Fact]
    public async Task Rotation_fields_and_material_versions_read_back_in_sequence()
    {
        var key = NewKey() with { CurrentMaterialId = new string('1', 64), RotationPeriodInDays = 90, NextRotationDate = T0.AddDays(90) };
        await Storage.CreateKeyAsync(key, new MaterialRecord(key.KeyId, key.CurrentMaterialId!, [1], T0), []);
        var second = new MaterialRecord(key.KeyId, new string('2', 64), [2], T0.AddDays(90)) { RotationType = "AUTOMATIC", RotationDate = T0.AddDays(90) };
        var pending = new MaterialRecord(key.KeyId, new string('3', 64), [3], T0.AddDays(91))
        {
            PendingRotation = true, ExpirationModel = "KEY_MATERIAL_EXPIRES", ValidTo = T0.AddDays(100), Description = "next",
        };
        var rotated = key with { CurrentMaterialId = second.MaterialId, NextRotationDate = T0.AddDays(180), OnDemandRotationStartDate = T0, OnDemandRotations = 3 };
        var stored = await Storage.UpdateKeyAsync(rotated, [second, pending], []);
        Assert.NotNull(stored);
        Assert.Equal(stored, await Storage.GetKeyAsync(key.KeyId));
        // A stale version writes neither the key nor its materials.
        Assert.Null(await Storage.UpdateKeyAsync(rotated, [second with { MaterialId = new string('4', 64) }], []));

        var all = await Storage.ListMaterialsAsync(key.KeyId, 0, 10);
        Assert.Equal([1, 2, 3], all.Select(m => m.Sequence));
        Assert.Equal([key.CurrentMaterialId, second.MaterialId, pending.MaterialId], all.Select(m => m.MaterialId));
        Assert.Equal(("AUTOMATIC", T0.AddDays(90)), (all[1].RotationType, all[1].RotationDate!.Value));
        Assert.Equal((true, "KEY_MATERIAL_EXPIRES", T0.AddDays(100), "next"), (all[2].PendingRotation, all[2].ExpirationModel, all[2].ValidTo!.Value, all[2].Description));
        Assert.Equal([3], (await Storage.ListMaterialsAsync(key.KeyId, 2, 10)).Select(m => m.Sequence));
        Assert.Single(await Storage.ListMaterialsAsync(key.KeyId, 0, 1));

        // Rewriting a version keeps its sequence; removing one drops it.
        var cleared = all[1] with { Wrapped = null };
        stored = await Storage.UpdateKeyAsync(stored! with { State = KeyState.PendingImport }, [cleared], [pending.MaterialId]);
        all = await Storage.ListMaterialsAsync(key.KeyId, 0, 10);
        Assert.Equal([1, 2], all.Select(m => m.Sequence));
        Assert.False(all[1].HasSecret);
        Assert.Equal(KeyState.PendingImport, (await Storage.GetKeyAsync(key.KeyId))!.State);
    }

    [Fact]
    public async Task Due_rotations_and_expiries_are_listed()
    {
        var due = NewKey() with { RotationPeriodInDays = 90, NextRotationDate = T0 };
        var later = NewKey() with { RotationPeriodInDays = 90, NextRotationDate = T0.AddDays(1) };
        var disabled = NewKey() with { RotationPeriodInDays = 90, NextRotationDate = T0, State = KeyState.Disabled };
        var onDemand = NewKey() with { OnDemandRotationStartDate = T0.AddDays(5) };
        foreach (var k in new[] { due, later, disabled, onDemand }) await Storage.CreateKeyAsync(k, null, []);
        var listed = (await Storage.ListKeysDueForRotationAsync(T0, 10)).Select(k => k.KeyId).ToHashSet();
        Assert.Equal(new HashSet<string> { due.KeyId, onDemand.KeyId }, listed);

        var expiring = new MaterialRecord(due.KeyId, new string('5', 64), [5], T0) { ValidTo = T0.AddHours(1) };
        var expired = expiring with { MaterialId = new string('6', 64), Wrapped = null };
        var forever = expiring with { MaterialId = new string('7', 64), ValidTo = null };
        await Storage.UpdateKeyAsync(due, [expiring, expired, forever], []);
        Assert.Empty(await Storage.ListMaterialsDueForExpiryAsync(T0, 10));
        Assert.Equal([expiring.MaterialId], (await Storage.ListMaterialsDueForExpiryAsync(T0.AddHours(1), 10)).Select(m => m.MaterialId));
    }

    [Fact]
    public async Task Import_parameters_are_kept_until_purged_and_go_with_their_key()
    {
        var key = NewKey() with { Origin = "EXTERNAL", State = KeyState.PendingImport };
        await Storage.CreateKeyAsync(key, null, []);
        var record = new Keyward.Core.Import.ImportParametersRecord(new string('a', 64), key.KeyId, "RSA_2048", "RSAES_OAEP_SHA_256", [7, 7], T0.AddHours(24));
        await Storage.CreateImportParametersAsync(record);
        var read = await Storage.GetImportParametersAsync(record.TokenId);
        Assert.NotNull(read);
        Assert.Equal((record.KeyId, record.WrappingKeySpec, record.WrappingAlgorithm, record.ValidTo), (read.KeyId, read.WrappingKeySpec, read.WrappingAlgorithm, read.ValidTo));
        Assert.Equal(record.WrappedPrivateKey, read.WrappedPrivateKey);
        Assert.Equal(0, await Storage.DeleteExpiredImportParametersAsync(T0.AddHours(23)));
        Assert.Equal(1, await Storage.DeleteExpiredImportParametersAsync(T0.AddHours(24)));
        Assert.Null(await Storage.GetImportParametersAsync(record.TokenId));

        await Storage.CreateImportParametersAsync(record);
        Assert.True(await Storage.DeleteKeyAsync(key.KeyId, key.Version));
        Assert.Null(await Storage.GetImportParametersAsync(record.TokenId));
    }

    private static CustomKeyStoreRecord NewStore(string name, string account = "111122223333") => new()
    {
        CustomKeyStoreId = CustomKeyStores.NewId(),
        AccountId = account,
        Region = R,
        Name = name,
        StoreType = CustomKeyStores.CloudHsm,
        CloudHsmClusterId = "cluster-abcdefghijk",
        TrustAnchorCertificate = "-----BEGIN CERTIFICATE-----",
        Password = [9, 9, 9],
        ConnectionState = CustomKeyStores.Disconnected,
        CreationDate = T0,
        Version = 1,
    };

    [Fact]
    public async Task Custom_key_stores_have_unique_names_per_account_and_update_optimistically()
    {
        var store = NewStore("one");
        Assert.True(await Storage.CreateCustomKeyStoreAsync(store));
        Assert.Equal(store with { Password = null }, (await Storage.GetCustomKeyStoreAsync(store.CustomKeyStoreId))! with { Password = null });
        Assert.Equal(store.Password, (await Storage.GetCustomKeyStoreAsync(store.CustomKeyStoreId))!.Password);
        Assert.False(await Storage.CreateCustomKeyStoreAsync(NewStore("one")));
        Assert.True(await Storage.CreateCustomKeyStoreAsync(NewStore("one", account: "444455556666")));
        var two = NewStore("two");
        Assert.True(await Storage.CreateCustomKeyStoreAsync(two));
        Assert.Equal(2, (await Storage.ListCustomKeyStoresAsync("111122223333")).Count);
        Assert.Equal(3, (await Storage.ListCustomKeyStoresAsync(null)).Count);

        var connected = await Storage.UpdateCustomKeyStoreAsync(store with { ConnectionState = CustomKeyStores.Connected });
        Assert.Equal(2, connected!.Version);
        Assert.Null(await Storage.UpdateCustomKeyStoreAsync(store with { ConnectionState = CustomKeyStores.Failed })); // stale version
        Assert.Null(await Storage.UpdateCustomKeyStoreAsync(two with { Name = "one" })); // name taken
        Assert.Equal(CustomKeyStores.Connected, (await Storage.GetCustomKeyStoreAsync(store.CustomKeyStoreId))!.ConnectionState);
    }

    private static CustomKeyStoreRecord NewExternalStore(string name) => new()
    {
        CustomKeyStoreId = CustomKeyStores.NewId(),
        AccountId = "111122223333",
        Region = R,
        Name = name,
        StoreType = CustomKeyStores.External,
        XksProxyUriEndpoint = "https://xks.example.com:8443",
        XksProxyUriPath = "/tenant/kms/xks/v1",
        XksProxyConnectivity = CustomKeyStores.PublicEndpoint,
        XksAccessKeyId = "AKIAXKSPROXYTEST2345",
        XksSecret = [5, 6, 7],
        ConnectionState = CustomKeyStores.Disconnected,
        CreationDate = T0,
        Version = 1,
    };

    [Fact]
    public async Task An_external_key_store_keeps_its_proxy_settings_and_each_external_key_serves_one_kms_key()
    {
        var store = NewExternalStore("xks");
        Assert.True(await Storage.CreateCustomKeyStoreAsync(store));
        var read = (await Storage.GetCustomKeyStoreAsync(store.CustomKeyStoreId))!;
        Assert.Equal(store with { XksSecret = null }, read with { XksSecret = null });
        Assert.Equal(store.XksSecret, read.XksSecret);
        var updated = await Storage.UpdateCustomKeyStoreAsync(read with { XksProxyUriPath = "/kms/xks/v1", XksAccessKeyId = "AKIAXKSPROXYOTHER2345", XksSecret = [8] });
        read = (await Storage.GetCustomKeyStoreAsync(store.CustomKeyStoreId))!;
        Assert.Equal(("/kms/xks/v1", "AKIAXKSPROXYOTHER2345", 2L), (read.XksProxyUriPath, read.XksAccessKeyId, updated!.Version));
        Assert.Equal([8], read.XksSecret);

        var key = NewKey() with { Origin = "EXTERNAL_KEY_STORE", CustomKeyStoreId = store.CustomKeyStoreId, XksKeyId = "ext-key-1", CurrentMaterialId = new string('a', 64) };
        await Storage.CreateKeyAsync(key, new MaterialRecord(key.KeyId, key.CurrentMaterialId!, [4], T0), []);
        Assert.Equal("ext-key-1", (await Storage.GetKeyAsync(key.KeyId))!.XksKeyId);
        // The same external key in the same store is refused (nothing written); in another store it is allowed.
        var again = NewKey() with { Origin = "EXTERNAL_KEY_STORE", CustomKeyStoreId = store.CustomKeyStoreId, XksKeyId = "ext-key-1" };
        await Assert.ThrowsAsync<StorageConflictException>(async () => await Storage.CreateKeyAsync(again, null, []));
        Assert.Null(await Storage.GetKeyAsync(again.KeyId));
        var other = NewExternalStore("xks-2");
        await Storage.CreateCustomKeyStoreAsync(other);
        await Storage.CreateKeyAsync(again with { CustomKeyStoreId = other.CustomKeyStoreId }, null, []);
        Assert.Equal(other.CustomKeyStoreId, (await Storage.GetKeyAsync(again.KeyId))!.CustomKeyStoreId);

        // The proxy secret and the keys' KMS-side material are the barrier's: a seal migration re-wraps them.
        var values = await Storage.ListSealedValuesAsync();
        Assert.Contains(values, v => v.Kind == SealedKind.KeyMaterial && v.Id1 == key.KeyId);
        Assert.Equal(2, values.Count(v => v.Kind == SealedKind.XksProxySecret));
        await Storage.ReplaceSealedValuesAsync(values.Where(v => v.Kind == SealedKind.XksProxySecret && v.Id1 == store.CustomKeyStoreId).Select(v => v with { Value = [1, 1] }).ToList());
        Assert.Equal([1, 1], (await Storage.GetCustomKeyStoreAsync(store.CustomKeyStoreId))!.XksSecret);
    }

    [Fact]
    public async Task A_custom_key_store_with_keys_is_not_deleted()
    {
        var store = NewStore("with-keys");
        await Storage.CreateCustomKeyStoreAsync(store);
        var key = NewKey() with { Origin = "AWS_CLOUDHSM", CustomKeyStoreId = store.CustomKeyStoreId };
        await Storage.CreateKeyAsync(key, null, []);
        Assert.Equal(store.CustomKeyStoreId, (await Storage.GetKeyAsync(key.KeyId))!.CustomKeyStoreId);
        Assert.Equal(1, await Storage.CountKeysInCustomKeyStoreAsync(store.CustomKeyStoreId));
        Assert.False(await Storage.DeleteCustomKeyStoreAsync(store.CustomKeyStoreId, store.Version));
        Assert.True(await Storage.DeleteKeyAsync(key.KeyId, key.Version));
        Assert.False(await Storage.DeleteCustomKeyStoreAsync(store.CustomKeyStoreId, store.Version + 1));
        Assert.True(await Storage.DeleteCustomKeyStoreAsync(store.CustomKeyStoreId, store.Version));
        Assert.Null(await Storage.GetCustomKeyStoreAsync(store.CustomKeyStoreId));
    }

    [Fact]
    public async Task Sealed_values_are_listed_by_kind_and_replaced_together()
    {
        await Storage.GetOrAddSettingAsync("seal-check", [1]);
        var soft = NewKey() with { CurrentMaterialId = new string('a', 64) };
        await Storage.CreateKeyAsync(soft, new MaterialRecord(soft.KeyId, soft.CurrentMaterialId!, [2], T0), []);
        var store = NewStore("sealed");
        await Storage.CreateCustomKeyStoreAsync(store);
        // HSM-store material is wrapped inside the HSMs, not by the barrier: not listed.
        var hsm = NewKey() with { CurrentMaterialId = new string('b', 64), Origin = "AWS_CLOUDHSM", CustomKeyStoreId = store.CustomKeyStoreId };
        await Storage.CreateKeyAsync(hsm, new MaterialRecord(hsm.KeyId, hsm.CurrentMaterialId!, [3], T0), []);

        var values = await Storage.ListSealedValuesAsync();
        Assert.Equal(
            [(SealedKind.KeyMaterial, soft.KeyId), (SealedKind.CustomKeyStorePassword, store.CustomKeyStoreId), (SealedKind.SealCheck, "seal-check")],
            values.Select(v => (v.Kind, v.Id1)).OrderBy(v => v.Kind).ToArray());
        await Storage.ReplaceSealedValuesAsync(values.Select(v => v with { Value = [7, 7] }).ToList());
        Assert.Equal([7, 7], (await Storage.GetMaterialAsync(soft.KeyId, soft.CurrentMaterialId!))!.Wrapped);
        Assert.Equal([3], (await Storage.GetMaterialAsync(hsm.KeyId, hsm.CurrentMaterialId!))!.Wrapped);
        Assert.Equal([7, 7], (await Storage.GetCustomKeyStoreAsync(store.CustomKeyStoreId))!.Password);
        Assert.Equal([7, 7], await Storage.GetSettingAsync("seal-check"));
    }

    [Fact]
    public async Task A_lease_has_one_holder_until_it_expires_or_is_released()
    {
        Assert.True(await Storage.TryAcquireLeaseAsync("job", "node-a", T0, TimeSpan.FromSeconds(30)));
        Assert.False(await Storage.TryAcquireLeaseAsync("job", "node-b", T0.AddSeconds(29), TimeSpan.FromSeconds(30)));
        // The holder renews; the other node still waits for the renewed expiry.
        Assert.True(await Storage.TryAcquireLeaseAsync("job", "node-a", T0.AddSeconds(20), TimeSpan.FromSeconds(30)));
        Assert.False(await Storage.TryAcquireLeaseAsync("job", "node-b", T0.AddSeconds(45), TimeSpan.FromSeconds(30)));
        // A dead holder's lease is taken over once it has expired.
        Assert.True(await Storage.TryAcquireLeaseAsync("job", "node-b", T0.AddSeconds(50), TimeSpan.FromSeconds(30)));
        Assert.False(await Storage.TryAcquireLeaseAsync("job", "node-a", T0.AddSeconds(51), TimeSpan.FromSeconds(30)));
        // Releasing someone else's lease does nothing; releasing one's own frees it at once.
        await Storage.ReleaseLeaseAsync("job", "node-a");
        Assert.False(await Storage.TryAcquireLeaseAsync("job", "node-a", T0.AddSeconds(52), TimeSpan.FromSeconds(30)));
        await Storage.ReleaseLeaseAsync("job", "node-b");
        Assert.True(await Storage.TryAcquireLeaseAsync("job", "node-a", T0.AddSeconds(53), TimeSpan.FromSeconds(30)));
        // Leases are independent by name.
        Assert.True(await Storage.TryAcquireLeaseAsync("other", "node-b", T0.AddSeconds(53), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Racing_nodes_get_a_free_lease_exactly_once()
    {
        var winners = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(async () => await Storage.TryAcquireLeaseAsync("race", $"node-{i}", T0, TimeSpan.FromMinutes(1)))));
        Assert.Equal(1, winners.Count(w => w));
    }

    private static GrantRecord NewGrant(string keyId, string id, string? retiring = null) => new()
    {
        GrantId = id, KeyId = keyId, Name = "n-" + id[..4], GranteePrincipal = "arn:aws:iam::111122223333:user/app", RetiringPrincipal = retiring,
        IssuingAccount = "arn:aws:iam::111122223333:root", Operations = ["Encrypt", "Decrypt"],
        EncryptionContextSubset = new Dictionary<string, string> { ["Team"] = "blue", ["a\"b"] = "ü" }, CreationDate = T0,
    };

    [Fact]
    public async Task Grants_read_back_list_in_pages_and_go_with_their_key()
    {
        var key = NewKey();
        await Storage.CreateKeyAsync(key, null, []);
        var ids = Enumerable.Range(0, 5).Select(i => new string((char)('a' + i), 64)).ToList();
        foreach (var id in ids) await Storage.CreateGrantAsync(NewGrant(key.KeyId, id, retiring: id == ids[1] ? "arn:aws:iam::111122223333:role/retirer" : null));
        var read = await Storage.GetGrantAsync(ids[1]);
        Assert.NotNull(read);
        Assert.Equal(("n-bbbb", "arn:aws:iam::111122223333:role/retirer", T0), (read.Name, read.RetiringPrincipal, read.CreationDate));
        Assert.Equal(["Encrypt", "Decrypt"], read.Operations);
        Assert.Equal("ü", read.EncryptionContextSubset!["a\"b"]);
        Assert.Null(read.EncryptionContextEquals);
        var first = await Storage.ListGrantsAsync(key.KeyId, null, 3);
        var rest = await Storage.ListGrantsAsync(key.KeyId, first[^1].GrantId, 3);
        Assert.Equal(ids, first.Concat(rest).Select(g => g.GrantId));
        Assert.Equal([ids[1]], (await Storage.ListRetirableGrantsAsync("arn:aws:iam::111122223333:role/retirer", null, 10)).Select(g => g.GrantId));
        Assert.True(await Storage.DeleteGrantAsync(key.KeyId, ids[0]));
        Assert.False(await Storage.DeleteGrantAsync(key.KeyId, ids[0]));
        Assert.False(await Storage.DeleteGrantAsync(NewKey().KeyId, ids[2]));
        Assert.Null(await Storage.GetGrantAsync(ids[0]));
        Assert.True(await Storage.DeleteKeyAsync(key.KeyId, key.Version));
        Assert.Null(await Storage.GetGrantAsync(ids[2]));
    }

    [Fact]
    public async Task Audit_events_form_one_chain_and_record_the_last_use_of_each_key()
    {
        const string KeyA = "arn:aws:kms:us-east-1:111122223333:key/a", KeyB = "arn:aws:kms:us-east-1:111122223333:key/b";
        const string App = "arn:aws:iam::111122223333:user/app";
        Keyward.Core.Audit.AuditEvent Event(int i, string key, bool used) => new(T0.AddSeconds(i), used ? "Encrypt" : "DescribeKey", $"event-{i}", $"request-{i}",
            App, [key], used, AuditRecords.Json(T0.AddSeconds(i), used ? "Encrypt" : "DescribeKey", App, [key], $"\"n\":{i},\"text\":\"{new string('x', i)}\""));
        // 70 events in one append (whole multi-row inserts and single rows), then 5 more.
        await Storage.AppendAuditEventsAsync(Enumerable.Range(1, 70).Select(i => Event(i, i % 2 == 0 ? KeyA : KeyB, used: i != 70)).ToList(), "journal-1", 1234);
        await Storage.AppendAuditEventsAsync(Enumerable.Range(71, 5).Select(i => Event(i, KeyA, used: false)).ToList(), "journal-1", 2345);
        var records = (await Storage.ReadAuditEventsAsync(0, 50)).Concat(await Storage.ReadAuditEventsAsync(50, 50)).ToList();
        Assert.Equal(Enumerable.Range(1, 75).Select(i => (long)i), records.Select(r => r.Sequence));
        AuditRecords.AssertChained(records);
        Assert.EndsWith($$""","n":7,"text":"xxxxxxx"}""", records[6].Json);
        Assert.Equal(KeyB, records[6].KeyArn);
        // The last successful use: event 68 for A (70 was not a use, 71–75 are DescribeKey), 69 for B.
        Assert.Equal(("Encrypt", "event-68", "request-68", T0.AddSeconds(68)), await Usage(KeyA));
        Assert.Equal(("Encrypt", "event-69", "request-69", T0.AddSeconds(69)), await Usage(KeyB));
        Assert.Null(await Storage.GetKeyLastUsageAsync("arn:aws:kms:us-east-1:111122223333:key/none"));
        // The journal offset is recorded with the events.
        Assert.Equal(2345, BitConverter.ToInt64((await Storage.GetSettingAsync(Keyward.Core.Audit.AuditLog.OffsetSettingPrefix + "journal-1"))!));

        async Task<(string, string, string, DateTimeOffset)> Usage(string key)
        {
            var u = await Storage.GetKeyLastUsageAsync(key);
            return (u!.Operation, u.EventId, u.RequestId, u.Timestamp);
        }
    }

    [Fact]
    public async Task An_audit_batch_with_a_row_the_database_refuses_is_written_not_at_all()
    {
        const string Key = "arn:aws:kms:us-east-1:111122223333:key/a", App = "arn:aws:iam::111122223333:user/app";
        Keyward.Core.Audit.AuditEvent Event(int i, string? principal = App) => new(T0.AddSeconds(i), "Encrypt",
            $"event-{i}", $"request-{i}", principal!, [Key], true,
            AuditRecords.Json(T0.AddSeconds(i), "Encrypt", App, [Key], $"\"n\":{i}"));
        await Storage.AppendAuditEventsAsync(Enumerable.Range(1, 5).Select(i => Event(i)).ToList(), "journal-1", 100);
        // 70 events, the 40th without its principal (a NOT NULL column): the batch fails in its second multi-row
        // insert (rows 33-64 on SQLite), after the rows of the first are in its transaction.
        var refused = Enumerable.Range(6, 70).Select(i => Event(i, i == 45 ? null : App)).ToList();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
            await Storage.AppendAuditEventsAsync(refused, "journal-1", 200));
        Assert.Equal([1L, 2, 3, 4, 5], (await Storage.ReadAuditEventsAsync(0, 100)).Select(r => r.Sequence));
        var offset = await Storage.GetSettingAsync(Keyward.Core.Audit.AuditLog.OffsetSettingPrefix + "journal-1");
        Assert.Equal(100, BitConverter.ToInt64(offset!));
        Assert.Equal("event-5", (await Storage.GetKeyLastUsageAsync(Key))!.EventId);
        // The chain goes on from the last row written.
        await Storage.AppendAuditEventsAsync(Enumerable.Range(6, 40).Select(i => Event(i)).ToList(), "journal-1", 300);
        var records = await Storage.ReadAuditEventsAsync(0, 100);
        Assert.Equal(Enumerable.Range(1, 45).Select(i => (long)i), records.Select(r => r.Sequence));
        AuditRecords.AssertChained(records);
    }

    [Fact]
    public async Task Audit_lookup_filters_and_pages_newest_first_within_the_account()
    {
        const string KeyA = "arn:aws:kms:us-east-1:111122223333:key/a", KeyB = "arn:aws:kms:us-east-1:111122223333:key/b";
        const string Foreign = "arn:aws:kms:us-east-1:444455556666:key/f";
        const string App = "arn:aws:iam::111122223333:user/app", Root = "arn:aws:iam::111122223333:root";
        const string Bob = "arn:aws:iam::444455556666:user/bob";
        // 1..6: app encrypts with A or B; 7: root creates B; 8: bob decrypts with A (in both accounts' trails);
        // 9: bob uses his own key (not in 111122223333's trail); 10: app lists keys (no key).
        var plan = new (string Name, string Principal, string[] Keys)[]
        {
            ("Encrypt", App, [KeyA]), ("Encrypt", App, [KeyB]), ("Encrypt", App, [KeyA]), ("Encrypt", App, [KeyB]),
            ("Encrypt", App, [KeyA]), ("Encrypt", App, [KeyB]), ("CreateKey", Root, [KeyB]), ("Decrypt", Bob, [KeyA]),
            ("Decrypt", Bob, [Foreign]), ("ListKeys", App, []),
        };
        var events = plan.Select((p, i) => new Keyward.Core.Audit.AuditEvent(T0.AddSeconds(i + 1), p.Name, $"event-{i + 1}", $"request-{i + 1}",
            p.Principal, p.Keys, false, AuditRecords.Json(T0.AddSeconds(i + 1), p.Name, p.Principal, p.Keys, $"\"eid\":\"event-{i + 1}\""))).ToList();
        await Storage.AppendAuditEventsAsync(events, "journal-1", 1);

        async Task<string> Find(Keyward.Core.Audit.AuditFilter? filter = null, int limit = 50, long? before = null,
            DateTimeOffset? start = null, DateTimeOffset? end = null, string account = "111122223333") =>
            (await Storage.LookupAuditEventsAsync(new Keyward.Core.Audit.AuditLookup
            {
                AccountId = account, Filter = filter, Limit = limit, BeforeSequence = before, Start = start, End = end,
            })).Select(r => r.Sequence.ToString()).Aggregate("", (a, b) => a.Length == 0 ? b : a + "," + b);
        Keyward.Core.Audit.AuditFilter F(Keyward.Core.Audit.AuditFilterKind kind, string? value = null) => new(kind, value);

        Assert.Equal("10,8,7,6,5,4,3,2,1", await Find());
        Assert.Equal("9,8", await Find(account: "444455556666"));
        Assert.Equal("10,8,7", await Find(limit: 3));
        Assert.Equal("6,5", await Find(limit: 2, before: 7));
        Assert.Equal("4,3,2", await Find(start: T0.AddSeconds(2), end: T0.AddSeconds(4)));
        Assert.Equal("6,5,4,3,2,1", await Find(F(Keyward.Core.Audit.AuditFilterKind.EventName, "Encrypt")));
        Assert.Equal("", await Find(F(Keyward.Core.Audit.AuditFilterKind.EventName, "encrypt")));
        Assert.Equal("10,8", await Find(new(Keyward.Core.Audit.AuditFilterKind.EventNameIn) { Names = ["ListKeys", "Decrypt"] }));
        Assert.Equal("7,6,5,4,3,2,1",
            await Find(new(Keyward.Core.Audit.AuditFilterKind.EventNameNotIn) { Names = ["ListKeys", "Decrypt"] }));
        Assert.Equal("10,6,5,4,3,2,1", await Find(F(Keyward.Core.Audit.AuditFilterKind.PrincipalEndsWith, "/app")));
        Assert.Equal("7", await Find(F(Keyward.Core.Audit.AuditFilterKind.PrincipalEndsWith, ":root")));
        Assert.Equal("", await Find(F(Keyward.Core.Audit.AuditFilterKind.PrincipalEndsWith, "/pp")));
        Assert.Equal("", await Find(F(Keyward.Core.Audit.AuditFilterKind.PrincipalEndsWith, "x" + App)));
        Assert.Equal("8,5,3,1", await Find(F(Keyward.Core.Audit.AuditFilterKind.Key, KeyA)));
        Assert.Equal("7,6,4,2", await Find(F(Keyward.Core.Audit.AuditFilterKind.Key, "b")));
        Assert.Equal("", await Find(F(Keyward.Core.Audit.AuditFilterKind.Key, "key/%")));
        Assert.Equal("8,7,6,5,4,3,2,1", await Find(F(Keyward.Core.Audit.AuditFilterKind.AnyKey)));
        Assert.Equal("3", await Find(new(Keyward.Core.Audit.AuditFilterKind.RecordContains)
        {
            Fragments = ["\"eid\":\"event-3\""u8.ToArray(), "\"eventID\":\"event-3\""u8.ToArray()],
        }));
        Assert.Equal("", await Find(Keyward.Core.Audit.AuditFilter.Nothing));
    }
}
