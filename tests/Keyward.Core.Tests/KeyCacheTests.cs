using Keyward.Core.Keys;
using Keyward.Core.Service;

namespace Keyward.Core.Tests;

public sealed class KeyCacheTests
{
    private sealed class Ticks : TimeProvider
    {
        public long Now;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Now;
    }

    private static KeyRecord Key(long version, KeyState state = KeyState.Enabled) => new()
    {
        KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab", AccountId = "111122223333", Region = "us-east-1", CreationDate = DateTimeOffset.UnixEpoch,
        Description = "", KeySpec = "SYMMETRIC_DEFAULT", KeyUsage = "ENCRYPT_DECRYPT", Origin = "AWS_KMS", State = state,
        Policy = "{}", Version = version,
    };

    [Fact]
    public void A_slow_read_never_replaces_a_newer_version()
    {
        var cache = new KeyCache(new Ticks());
        cache.PutKey(Key(2, KeyState.Disabled));
        cache.PutKey(Key(1, KeyState.Enabled));
        Assert.Equal(KeyState.Disabled, cache.GetKey(Key(1).KeyId)!.State);
        cache.PutKey(Key(3, KeyState.Enabled));
        Assert.Equal(3, cache.GetKey(Key(1).KeyId)!.Version);
    }

    [Fact]
    public void A_deleted_key_is_not_brought_back_by_a_racing_read()
    {
        var cache = new KeyCache(new Ticks());
        cache.PutKey(Key(1));
        cache.DropKey(Key(1).KeyId);
        cache.PutKey(Key(1));
        Assert.Null(cache.GetKey(Key(1).KeyId));
    }

    [Fact]
    public void Entries_expire_after_the_bound()
    {
        var clock = new Ticks();
        var cache = new KeyCache(clock);
        cache.ShareWithOtherWriters();
        cache.PutKey(Key(1));
        clock.Now += (long)KeyCache.MaxAge.TotalMilliseconds - 1;
        Assert.NotNull(cache.GetKey(Key(1).KeyId));
        clock.Now += 1;
        Assert.Null(cache.GetKey(Key(1).KeyId));
        // After expiry an older version may be cached again (it is what storage said).
        cache.PutKey(Key(1));
        Assert.NotNull(cache.GetKey(Key(1).KeyId));
    }

    [Fact]
    public void A_sole_writer_keeps_entries_for_the_longer_bound_until_it_shares_the_database()
    {
        var clock = new Ticks();
        var cache = new KeyCache(clock);
        cache.PutKey(Key(1));
        clock.Now += (long)KeyCache.SoleWriterMaxAge.TotalMilliseconds - 1;
        Assert.NotNull(cache.GetKey(Key(1).KeyId));
        clock.Now += 1;
        Assert.Null(cache.GetKey(Key(1).KeyId));
        // Sharing the database forgets what was cached and bounds new entries by MaxAge.
        cache.PutKey(Key(1));
        cache.ShareWithOtherWriters();
        Assert.Null(cache.GetKey(Key(1).KeyId));
        cache.PutKey(Key(1));
        clock.Now += (long)KeyCache.MaxAge.TotalMilliseconds;
        Assert.Null(cache.GetKey(Key(1).KeyId));
    }

    [Fact]
    public void Deleting_a_key_forgets_its_material_and_aliases()
    {
        var cache = new KeyCache(new Ticks());
        var id = Key(1).KeyId;
        cache.PutMaterial(new MaterialRecord(id, "m", [1], DateTimeOffset.UnixEpoch));
        cache.PutAlias("111122223333", "us-east-1", "alias/a", id);
        cache.PutAlias("111122223333", "us-east-1", "alias/b", "other");
        cache.DropKey(id);
        Assert.Null(cache.GetMaterial(id, "m"));
        Assert.Null(cache.GetAlias("111122223333", "us-east-1", "alias/a"));
        Assert.Equal("other", cache.GetAlias("111122223333", "us-east-1", "alias/b"));
    }

    [Fact]
    public void A_change_notice_drops_older_versions_and_keeps_a_racing_read_out()
    {
        var cache = new KeyCache(new Ticks());
        var id = Key(1).KeyId;
        cache.PutKey(Key(1));
        // Another node wrote version 2: version 1 is gone, and a read that began before the change cannot put it back.
        cache.Invalidate(id, 2);
        Assert.Null(cache.GetKey(id));
        cache.PutKey(Key(1));
        Assert.Null(cache.GetKey(id));
        // The read that sees version 2 is cached at once (no storage read per request after a change);
        // a late notice of the same or an older version changes nothing.
        cache.PutKey(Key(2, KeyState.Disabled));
        Assert.Equal(2, cache.GetKey(id)!.Version);
        cache.Invalidate(id, 2);
        cache.Invalidate(id, 1);
        Assert.Equal(KeyState.Disabled, cache.GetKey(id)!.State);
    }

    [Fact]
    public void A_deletion_notice_forgets_the_key_and_its_material()
    {
        var cache = new KeyCache(new Ticks());
        var id = Key(1).KeyId;
        cache.PutKey(Key(1));
        cache.PutMaterial(new MaterialRecord(id, "m1", [1], DateTimeOffset.UnixEpoch));
        cache.Invalidate(id, long.MaxValue);
        Assert.Null(cache.GetKey(id));
        Assert.Null(cache.GetMaterial(id, "m1"));
        cache.PutKey(Key(5));
        Assert.Null(cache.GetKey(id));
    }

    [Fact]
    public void A_missed_notice_marker_expires_with_the_bound_like_any_entry()
    {
        var clock = new Ticks();
        var cache = new KeyCache(clock);
        cache.ShareWithOtherWriters(); // notices come only from other nodes
        var id = Key(1).KeyId;
        cache.Invalidate(id, 3);
        clock.Now += (long)KeyCache.MaxAge.TotalMilliseconds;
        cache.PutKey(Key(3));
        Assert.Equal(3, cache.GetKey(id)!.Version);
    }

    [Fact]
    public void Clear_forgets_keys_and_aliases()
    {
        var cache = new KeyCache(new Ticks());
        cache.PutKey(Key(1));
        cache.PutAlias("111122223333", "us-east-1", "alias/a", Key(1).KeyId);
        cache.Clear();
        Assert.Null(cache.GetKey(Key(1).KeyId));
        Assert.Null(cache.GetAlias("111122223333", "us-east-1", "alias/a"));
    }
}
