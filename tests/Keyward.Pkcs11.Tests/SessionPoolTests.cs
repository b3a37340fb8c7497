using System.Security.Cryptography;
using Keyward.Core.KeyStores;
using Keyward.Tests.Shared;

namespace Keyward.Pkcs11.Tests;

/// <summary>The session pool: concurrency, bounded waiting, and recovery from a real HSM failure.</summary>
public sealed class SessionPoolTests
{
    private static readonly byte[] Pin = System.Text.Encoding.UTF8.GetBytes(SoftHsm.Pin);

    [Fact]
    public async Task Many_callers_share_a_few_sessions_and_every_result_is_right()
    {
        using var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), SoftHsm.NewToken(), Pin, maxSessions: 3, TimeSpan.FromSeconds(10));
        hsm.Open();
        var key = hsm.Run(s => BindingTests.SessionAesKey(s));
        var inUse = 0;
        var peak = 0;
        var sessions = new System.Collections.Concurrent.ConcurrentDictionary<nuint, bool>();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                var plaintext = RandomNumberGenerator.GetBytes(1 + (worker * 100 + i) % 300);
                var iv = RandomNumberGenerator.GetBytes(12);
                var roundTrip = hsm.Run(s =>
                {
                    var now = Interlocked.Increment(ref inUse);
                    InterlockedMax(ref peak, now);
                    sessions[s.Handle] = true;
                    try { return s.DecryptGcm(key, iv, [], s.EncryptGcm(key, iv, [], plaintext)); }
                    finally { Interlocked.Decrement(ref inUse); }
                });
                Assert.Equal(plaintext, roundTrip);
            }
        })));
        Assert.InRange(peak, 1, 3);
        Assert.InRange(sessions.Count, 1, 4); // three pooled sessions plus the one that logged in, at most
    }

    [Fact]
    public async Task A_caller_waits_for_a_session_at_most_the_configured_time()
    {
        using var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), SoftHsm.NewToken(), Pin, maxSessions: 1, TimeSpan.FromMilliseconds(200));
        hsm.Open();
        using var release = new ManualResetEventSlim();
        using var holding = new ManualResetEventSlim();
        var holder = Task.Run(() => hsm.Run(_ => { holding.Set(); release.Wait(); return 0; }));
        holding.Wait();
        var e = Assert.Throws<KeyStoreException>(() => hsm.Run(_ => 0));
        Assert.Equal(KeyStoreFailure.Timeout, e.Failure);
        release.Set();
        await holder;
        Assert.Equal(7, hsm.Run(_ => 7));
    }

    [Fact]
    public void A_killed_hsm_is_marked_failed_and_recovers_by_reinitializing_when_it_returns()
    {
        using var remote = new FaultyHsm();
        using var hsm = new Hsm(Pkcs11Module.Load(remote.Module, remote.Environment), remote.Token, Pin, maxSessions: 4, TimeSpan.FromSeconds(2));
        hsm.Open();
        Assert.Equal(16, hsm.Run(s => { var r = new byte[16]; s.GenerateRandom(r); return r.Length; }));

        remote.Kill();
        var e = Assert.Throws<Pkcs11Exception>(() => hsm.Run(s => { s.GenerateRandom(new byte[16]); return 0; }));
        Assert.Equal(Pkcs11ErrorKind.Device, e.Kind);
        Assert.False(hsm.Healthy);
        Assert.False(hsm.TryRecover()); // still down

        remote.Start();
        Assert.True(hsm.TryRecover());
        Assert.True(hsm.Healthy);
        Assert.Equal(16, hsm.Run(s => { var r = new byte[16]; s.GenerateRandom(r); return r.Length; }));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
