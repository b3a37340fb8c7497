using System.Diagnostics;
using Keyward.Core.KeyStores;
using Keyward.Pkcs11.Interop;

namespace Keyward.Pkcs11;

/// <summary>
/// The HSMs of one configured cluster, logged in with one crypto user's PIN. Every HSM holds the
/// same cluster key (AES-256, non-extractable, wrap/unwrap only); KMS keys travel between HSMs
/// only wrapped under it. Requests go round-robin to healthy HSMs and fail over to the next on
/// a device, session or timeout failure; a data failure (a bad ciphertext) is final. A timer
/// tries failed HSMs again, so a cluster recovers by itself when an HSM returns.
/// </summary>
public sealed class HsmCluster : IDisposable
{
    public const string ClusterKeyLabel = "keyward-cluster-key";

    private readonly Hsm[] _hsms;
    private readonly bool[] _reportedHealthy;
    private readonly Timer _health;
    private readonly Action<string> _log;
    private int _next;

    public HsmClusterOptions Options { get; }
    public IReadOnlyList<Hsm> Hsms => _hsms;

    private HsmCluster(HsmClusterOptions options, Hsm[] hsms, Action<string>? log)
    {
        Options = options;
        _hsms = hsms;
        _log = log ?? (_ => { });
        // Every HSM starts as reported in service, so those that are not get their line now.
        _reportedHealthy = hsms.Select(_ => true).ToArray();
        for (var i = 0; i < hsms.Length; i++) Report(i);
        var period = TimeSpan.FromMilliseconds(options.HealthCheckMilliseconds);
        _health = new Timer(_ => HealthTick(), null, period, period);
    }

    /// <summary>
    /// Logs in to every HSM. At least one must answer; HSMs that do not are retried by the health
    /// check. Creates the cluster key when no HSM has one yet, unless <paramref name="clusterKey"/> is false (the XKS
    /// proxy only uses keys the HSM owner made). Throws <see cref="KeyStoreConnectException"/>.
    /// </summary>
    /// <param name="log">Receives one line when an HSM leaves or returns to service (token labels and CKR names, never secrets).</param>
    public static HsmCluster Connect(HsmClusterOptions options, ReadOnlySpan<byte> pin, Action<string>? log = null, bool clusterKey = true)
    {
        var hsms = new List<Hsm>();
        Exception? last = null;
        foreach (var hsmOptions in options.Hsms)
        {
            Pkcs11Module module;
            try { module = Pkcs11Module.Load(hsmOptions.Module ?? options.Module!, hsmOptions.Environment); }
            catch (Exception e) when (Pkcs11Errors.IsHsmFailure(e)) { last = e; continue; }
            var hsm = new Hsm(module, hsmOptions.Token, pin, options.MaxSessionsPerHsm, TimeSpan.FromMilliseconds(options.SessionWaitMilliseconds));
            hsms.Add(hsm);
            try { hsm.Open(); }
            catch (Exception e) when (Pkcs11Errors.IsHsmFailure(e)) { last = e; }
        }
        if (!hsms.Any(h => h.Healthy))
        {
            foreach (var hsm in hsms) hsm.Dispose();
            throw new KeyStoreConnectException(ConnectionErrorCode(last), $"No HSM of cluster {options.Id} could be used: {last?.Message}");
        }
        var cluster = new HsmCluster(options, [.. hsms], log);
        if (!clusterKey) return cluster;
        try { cluster.EnsureClusterKey(); }
        catch (Exception e) when (Pkcs11Errors.IsHsmFailure(e))
        {
            cluster.Dispose();
            throw new KeyStoreConnectException("INTERNAL_ERROR", $"The cluster key of {options.Id} could not be set up: {e.Message}");
        }
        return cluster;
    }

    /// <summary>AWS's ConnectionErrorCode for a failure to connect.</summary>
    private static string ConnectionErrorCode(Exception? e) => e switch
    {
        Pkcs11Exception { ReturnValue: var rv } when rv == CKR.PIN_LOCKED => "USER_LOCKED_OUT",
        Pkcs11Exception { ReturnValue: var rv } when rv == CKR.USER_PIN_NOT_INITIALIZED => "USER_NOT_FOUND",
        Pkcs11Exception { Kind: Pkcs11ErrorKind.Login } => "INVALID_CREDENTIALS",
        Pkcs11Exception { Kind: Pkcs11ErrorKind.Device or Pkcs11ErrorKind.Session } => "NETWORK_ERRORS",
        KeyStoreException { Failure: KeyStoreFailure.Timeout } => "NETWORK_ERRORS",
        Pkcs11ConfigurationException => "INSUFFICIENT_CLOUDHSM_HSMS",
        _ => "INTERNAL_ERROR",
    };

    /// <summary>
    /// Runs <paramref name="operation"/> on one healthy HSM, failing over to the others. The
    /// exception of a data or object failure is passed on at once, except a device error the HSM's
    /// probe contradicted, which the next HSM settles; an HSM that was out of service when the
    /// request came to it is tried again at the end if it is back; if every HSM is down the result
    /// is <see cref="KeyStoreFailure.Unavailable"/>.
    /// </summary>
    public T Run<T>(Func<Hsm, Pkcs11Session, T> operation) => Completed(RunOnOne(operation, onPool: false));

    /// <summary>
    /// The result of a call made with <c>onPool: false</c>: every HSM call in it was <see cref="Hsm.Run{T}"/>, on this
    /// thread, so nothing was awaited and the result is there.
    /// </summary>
    internal static T Completed<T>(ValueTask<T> run)
    {
        Debug.Assert(run.IsCompleted);
        return run.GetAwaiter().GetResult();
    }

    /// <summary><see cref="Run{T}"/> for a caller on the thread pool: each HSM's call is
    /// <see cref="Hsm.RunAsync{T}"/>.</summary>
    public ValueTask<T> RunAsync<T>(Func<Hsm, Pkcs11Session, T> operation) => RunOnOne(operation, onPool: true);

    private async ValueTask<T> RunOnOne<T>(Func<Hsm, Pkcs11Session, T> operation, bool onPool)
    {
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)_hsms.Length);
        Exception? last = null;
        Pkcs11Exception? contradicted = null;
        List<string>? outcomes = null; // what each HSM answered, for the message of a request that fails
        List<int>? skipped = null; // the HSMs out of service when this request came to them
        var busy = false;
        // Two passes: the second tries the HSMs the first skipped as out of service and that are back in service by
        // now, so a request does not fail because the HSM it was on died just as another one returned.
        for (var pass = 0; pass < 2; pass++)
        {
            var count = pass == 0 ? _hsms.Length : skipped?.Count ?? 0;
            for (var i = 0; i < count; i++)
            {
                var index = pass == 0 ? (start + i) % _hsms.Length : skipped![i];
                var hsm = _hsms[index];
                if (!hsm.Healthy)
                {
                    if (pass == 0) (skipped ??= []).Add(index);
                    else (outcomes ??= []).Add($"'{hsm.TokenLabel}' out of service");
                    continue;
                }
                try
                {
                    return onPool
                        ? await hsm.RunAsync(session => operation(hsm, session)).ConfigureAwait(false)
                        : hsm.Run(session => operation(hsm, session));
                }
                catch (Pkcs11Exception e) when (e.Kind is Pkcs11ErrorKind.Device or Pkcs11ErrorKind.Session) { last = e; }
                catch (Pkcs11Exception e) when (e.Kind == Pkcs11ErrorKind.Data && Pkcs11Errors.Kind(e.ReturnValue) == Pkcs11ErrorKind.Device)
                {
                    // A device error that the HSM's probe then contradicted: bad input (SoftHSM's GCM tag mismatch), or a
                    // blip (a device back between the failure and the probe). Another HSM tells which.
                    contradicted = e;
                    (outcomes ??= []).Add($"'{hsm.TokenLabel}' {e.Message} (its probe passed)");
                    continue;
                }
                catch (KeyStoreException e) when (e.Failure == KeyStoreFailure.Timeout) { last = e; busy = true; }
                catch (Pkcs11ConfigurationException e) { hsm.MarkFailed(e); last = e; }
                (outcomes ??= []).Add($"'{hsm.TokenLabel}' {last!.Message}");
                Report(index);
            }
        }
        // Every HSM that answered said the same about the input: it was the input (a data error, final).
        if (contradicted is not null && last is null) throw contradicted;
        var detail = outcomes is null ? "" : ": " + string.Join("; ", outcomes);
        // An HSM that answers but had no session free in time is busy, not gone: the caller may retry (DependencyTimeout).
        if (busy) throw new KeyStoreException(KeyStoreFailure.Timeout, $"No HSM of cluster {Options.Id} had a session free in time{detail}.", last);
        throw new KeyStoreException(KeyStoreFailure.Unavailable, $"No HSM of cluster {Options.Id} is available{detail}.", last);
    }

    /// <summary>Runs <paramref name="operation"/> on every healthy HSM; returns how many succeeded.</summary>
    public int RunOnEach(Action<Hsm, Pkcs11Session> operation) => Completed(RunOnEach(operation, onPool: false));

    /// <summary><see cref="RunOnEach(Action{Hsm, Pkcs11Session})"/> for a caller on the thread pool.</summary>
    public ValueTask<int> RunOnEachAsync(Action<Hsm, Pkcs11Session> operation) => RunOnEach(operation, onPool: true);

    private async ValueTask<int> RunOnEach(Action<Hsm, Pkcs11Session> operation, bool onPool)
    {
        var done = 0;
        for (var i = 0; i < _hsms.Length; i++)
        {
            var hsm = _hsms[i];
            if (!hsm.Healthy) continue;
            try
            {
                Func<Pkcs11Session, int> call = session => { operation(hsm, session); return 0; };
                _ = onPool ? await hsm.RunAsync(call).ConfigureAwait(false) : hsm.Run(call);
                done++;
            }
            catch (Exception e) when (Pkcs11Errors.IsHsmFailure(e)) { Report(i); }
        }
        return done;
    }

    public bool AnyHealthy => _hsms.Any(h => h.Healthy);

    private volatile bool _disposed;
    private int _checking;

    /// <summary>A timer tick: one check at a time, never after disposal, and never an exception out of a timer thread.</summary>
    private void HealthTick()
    {
        if (_disposed || Interlocked.Exchange(ref _checking, 1) == 1) return;
        try { CheckHealth(); }
        catch (Exception e) when (_disposed || e is ObjectDisposedException) { }
        catch (Exception e) { _log($"The health check of cluster {Options.Id} failed: {e.GetType().Name}: {e.Message}"); }
        finally { Volatile.Write(ref _checking, 0); }
    }

    /// <summary>The health check: tries failed HSMs again, and reports every change of an HSM's state.</summary>
    public void CheckHealth()
    {
        for (var i = 0; i < _hsms.Length; i++)
        {
            if (!_hsms[i].Healthy) _hsms[i].TryRecover();
            Report(i);
        }
    }

    /// <summary>Logs an HSM's change of state once: when a request finds it failed, and when the health check brings it back.</summary>
    private void Report(int index)
    {
        var hsm = _hsms[index];
        lock (_reportedHealthy)
        {
            var healthy = hsm.Healthy;
            if (healthy == _reportedHealthy[index]) return;
            _reportedHealthy[index] = healthy;
            _log(healthy
                ? $"HSM '{hsm.TokenLabel}' of cluster {Options.Id} is back in service."
                : $"HSM '{hsm.TokenLabel}' of cluster {Options.Id} is out of service: {hsm.LastError?.Message}");
        }
    }

    /// <summary>The cluster key's handle on an HSM (cached per module generation).</summary>
    public static nuint ClusterKey(Hsm hsm, Pkcs11Session session) =>
        hsm.Handle(session, ClusterKeyLabel, s => FindSecretKey(s, ClusterKeyLabel))
        ?? throw new KeyStoreException(KeyStoreFailure.Unavailable, $"HSM '{hsm.TokenLabel}' has no cluster key.");

    public static nuint? FindSecretKey(Pkcs11Session session, string label)
    {
        var found = session.Find(new Template().ULong(CKA.CLASS, CKO.SECRET_KEY).Text(CKA.LABEL, label), 2);
        return found.Length > 0 ? found[0] : null;
    }

    /// <summary>
    /// When no HSM has a cluster key: generates one inside the first HSM and copies it to every
    /// other by RSAES-OAEP under a key pair generated inside the receiving HSM for the purpose, so
    /// the cluster key never exists outside an HSM in the clear. Every copy ends non-extractable.
    /// HSMs down at this moment, or added later, must get it by the vendor's cloning.
    /// </summary>
    private void EnsureClusterKey()
    {
        var healthy = _hsms.Where(h => h.Healthy).ToArray();
        var holders = healthy.Where(h => h.Run(s => FindSecretKey(s, ClusterKeyLabel)) is not null).ToArray();
        if (holders.Length > 0)
        {
            foreach (var hsm in healthy.Except(holders))
                hsm.Exclude(new Pkcs11ConfigurationException($"HSM '{hsm.TokenLabel}' has no cluster key; clone it from another HSM of the cluster."));
            return;
        }
        var source = healthy[0];
        source.Run(session =>
        {
            var transient = session.GenerateKey(CKM.AES_KEY_GEN, ClusterKeyTemplate(token: false, extractable: true));
            try
            {
                foreach (var target in healthy) CopyClusterKey(session, transient, target);
            }
            finally { session.DestroyObject(transient); }
            return 0;
        });
    }

    private static void CopyClusterKey(Pkcs11Session sourceSession, nuint clusterKey, Hsm target)
    {
        target.Run(targetSession =>
        {
            var (pub, priv) = targetSession.GenerateKeyPair(CKM.RSA_PKCS_KEY_PAIR_GEN,
                new Template().Bool(CKA.TOKEN, false).Bool(CKA.WRAP, true).Bool(CKA.ENCRYPT, false).ULong(CKA.MODULUS_BITS, 3072)
                    .Bytes(CKA.PUBLIC_EXPONENT, [1, 0, 1]),
                new Template().Bool(CKA.TOKEN, false).Bool(CKA.PRIVATE, true).Bool(CKA.SENSITIVE, true).Bool(CKA.EXTRACTABLE, false)
                    .Bool(CKA.UNWRAP, true).Bool(CKA.DECRYPT, false).Bool(CKA.SIGN, false));
            try
            {
                var modulus = targetSession.GetBytes(pub, CKA.MODULUS) ?? throw new Pkcs11Exception("C_GetAttributeValue", CKR.ATTRIBUTE_TYPE_INVALID);
                var exponent = targetSession.GetBytes(pub, CKA.PUBLIC_EXPONENT) ?? throw new Pkcs11Exception("C_GetAttributeValue", CKR.ATTRIBUTE_TYPE_INVALID);
                var transport = sourceSession.CreateObject(new Template().ULong(CKA.CLASS, CKO.PUBLIC_KEY).ULong(CKA.KEY_TYPE, CKK.RSA)
                    .Bool(CKA.TOKEN, false).Bool(CKA.WRAP, true).Bytes(CKA.MODULUS, modulus).Bytes(CKA.PUBLIC_EXPONENT, exponent));
                try
                {
                    // SHA-256 OAEP where the HSMs offer it; SoftHSM offers only SHA-1 (still sound for OAEP).
                    byte[] wrapped;
                    nuint hash = CKM.SHA256, mgf = CKM.CKG_MGF1_SHA256;
                    try { wrapped = sourceSession.WrapOaep(transport, clusterKey, hash, mgf); }
                    catch (Pkcs11Exception e) when (e.Kind is Pkcs11ErrorKind.Unsupported or Pkcs11ErrorKind.Data)
                    {
                        (hash, mgf) = (0x220 /* CKM_SHA_1 */, 0x1 /* CKG_MGF1_SHA1 */);
                        wrapped = sourceSession.WrapOaep(transport, clusterKey, hash, mgf);
                    }
                    targetSession.UnwrapOaep(priv, wrapped, ClusterKeyTemplate(token: true, extractable: false), hash, mgf);
                }
                finally { sourceSession.DestroyObject(transport); }
            }
            finally
            {
                targetSession.DestroyObject(priv);
                targetSession.DestroyObject(pub);
            }
            return 0;
        });
    }

    /// <summary>The transient original is generated (with a length); the copies are unwrapped (their length comes with them).</summary>
    private static Template ClusterKeyTemplate(bool token, bool extractable) =>
        Template.AesKey(AesKeyUse.WrapUnwrap, token, extractable, generate: !token).Text(CKA.LABEL, ClusterKeyLabel);

    public void Dispose()
    {
        _disposed = true;
        using (var done = new ManualResetEvent(false))
            if (_health.Dispose(done)) done.WaitOne(TimeSpan.FromSeconds(10));
        foreach (var hsm in _hsms) hsm.Dispose();
    }
}
