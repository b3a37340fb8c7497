using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Keyward.Core.KeyStores;

namespace Keyward.Pkcs11;

/// <summary>
/// One HSM (a token of a PKCS#11 module) and its session pool. The token is logged in once
/// (PKCS#11 login state is shared by all sessions of the process) and again after every
/// re-initialization of the module. At most <c>maxSessions</c> sessions are in use at once; a
/// caller waits for one at most the configured time, then gets <see cref="KeyStoreFailure.Timeout"/>.
/// A session that reports a session error is dropped; a data error leaves it in the pool. A device
/// error that a fresh probe confirms marks the HSM failed: its sessions are dropped and
/// <see cref="TryRecover"/> (run by the cluster's health check) re-initializes the module and logs
/// in again once the device answers.
/// </summary>
public sealed class Hsm : IDisposable
{
    private readonly Pkcs11Module _module;
    private readonly byte[] _pin;
    private readonly SemaphoreSlim _permits;
    private readonly TimeSpan _wait;
    private readonly ConcurrentStack<Pkcs11Session> _idle = new();
    private readonly ConcurrentDictionary<string, nuint> _handles = new(StringComparer.Ordinal);
    private readonly Lock _loginLock = new();
    private readonly HsmThreads _threads;
    /// <summary>The mean time of this HSM's recent calls, in <see cref="Stopwatch"/> ticks.</summary>
    private long _callTicks;
    /// <summary>Calls of <see cref="RunAsync{T}"/> running on their callers' threads now.</summary>
    private int _inline;
    private int _handlesGeneration;
    private int _loginGeneration = -1;
    private nuint _slot;
    private volatile bool _failed;
    private volatile bool _excluded;
    private volatile bool _disposed;
    /// <summary>The module generation in which this HSM last failed; recovery re-initializes unless someone has since.</summary>
    private int _failedGeneration;

    public string TokenLabel { get; }
    public bool Healthy => !_failed;
    public Pkcs11Module Module => _module;

    /// <summary>The last failure, for logs and for the connection error code.</summary>
    public Exception? LastError { get; private set; }

    public Hsm(Pkcs11Module module, string tokenLabel, ReadOnlySpan<byte> pin, int maxSessions, TimeSpan wait)
    {
        _module = module;
        TokenLabel = tokenLabel;
        _pin = GC.AllocateArray<byte>(pin.Length, pinned: true);
        pin.CopyTo(_pin);
        _permits = new SemaphoreSlim(maxSessions, maxSessions);
        _wait = wait;
        _threads = new HsmThreads("hsm " + tokenLabel, maxSessions);
    }

    /// <summary>Finds the token and logs in; throws <see cref="Pkcs11Exception"/> or <see cref="Pkcs11ConfigurationException"/>.</summary>
    public void Open()
    {
        try
        {
            Run(_ => 0);
            _failed = false;
            LastError = null;
        }
        catch (Exception e) when (Pkcs11Errors.IsHsmFailure(e))
        {
            MarkFailed(e);
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on a pooled, logged-in session, on the caller's thread, which waits for a
    /// session if none is free. A request that reaches an HSM being disposed (its custom key store disconnected under
    /// it) gets <see cref="KeyStoreFailure.Unavailable"/>, as one that comes after does, never the disposal's own
    /// exceptions.
    /// </summary>
    public T Run<T>(Func<Pkcs11Session, T> operation)
    {
        if (_disposed) throw Disconnected(null);
        if (!_permits.Wait(_wait)) throw NoSession();
        try { return Timed(operation); }
        finally { _permits.Release(); }
    }

    /// <summary>
    /// <see cref="Run{T}"/> for a caller on the thread pool (the requests' data path). It waits for a session without
    /// holding a thread. While this HSM answers quickly the operation runs on the caller's thread, as
    /// <see cref="Run{T}"/> does, since a hop to another thread would cost more than a fast HSM's call; on pool workers
    /// at most <see cref="InlineLimit"/> at once, so that an HSM that stalls all at once holds no more of the pool's
    /// workers than that. Once its calls take longer than <see cref="SlowCall"/> on average, they run on the HSM's own
    /// threads (<see cref="HsmThreads"/>) until they are quick again.
    /// </summary>
    public async ValueTask<T> RunAsync<T>(Func<Pkcs11Session, T> operation)
    {
        if (_disposed) throw Disconnected(null);
        if (!_permits.Wait(0) && !await _permits.WaitAsync(_wait).ConfigureAwait(false)) throw NoSession();
        try
        {
            // A thread of the caller's own (not the pool's) has no one else's requests to hold up: it waits inline.
            if (!Slow && !Thread.CurrentThread.IsThreadPoolThread) return Timed(operation);
            if (TryEnterInline())
            {
                try { return Timed(operation); }
                finally { Interlocked.Decrement(ref _inline); }
            }
            if (!_threads.TryRun(() => Timed(operation), out var call)) throw Disconnected(null);
            return await call.ConfigureAwait(false);
        }
        finally { _permits.Release(); }
    }

    /// <summary>Calls that may run on pool workers at once while this HSM is quick: half the processors, at least 1.
    /// </summary>
    internal static readonly int InlineLimit = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>The mean call time above which calls leave the pool: many times what a hop between threads costs.
    /// </summary>
    internal static readonly TimeSpan SlowCall = TimeSpan.FromMicroseconds(250);
    private static readonly long SlowCallTicks = (long)(SlowCall.TotalSeconds * Stopwatch.Frequency);

    /// <summary>True while calls run on the HSM's own threads (their mean time is above <see cref="SlowCall"/>).
    /// </summary>
    public bool Slow => Volatile.Read(ref _callTicks) > SlowCallTicks;

    private bool TryEnterInline()
    {
        if (Slow) return false;
        if (Interlocked.Increment(ref _inline) <= InlineLimit) return true;
        Interlocked.Decrement(ref _inline);
        return false;
    }

    /// <summary><see cref="Call{T}"/>, its time folded into the mean (a moving average of about the last 8 calls).
    /// </summary>
    private T Timed<T>(Func<Pkcs11Session, T> operation)
    {
        var start = Stopwatch.GetTimestamp();
        try { return Call(operation); }
        finally
        {
            var elapsed = Stopwatch.GetTimestamp() - start;
            // Lost updates between threads only make the mean a little older; a long is read and written whole.
            var mean = Volatile.Read(ref _callTicks);
            Volatile.Write(ref _callTicks, mean + (elapsed - mean) / 8);
        }
    }

    /// <summary>The operation on a pooled session; the caller holds a permit.</summary>
    private T Call<T>(Func<Pkcs11Session, T> operation)
    {
        try
        {
            if (_disposed) throw Disconnected(null);
            _module.EnterCall();
            Pkcs11Session? session = null;
            try
            {
                session = Rent();
                var result = operation(session);
                _idle.Push(session);
                // Dispose may have emptied the pool between the operation and the push: then this session is closed here.
                if (_disposed) CloseIdle();
                return result;
            }
            catch (Pkcs11Exception e) when (!_disposed)
            {
                if (!OnError(session, e)) throw new Pkcs11Exception(e.Function, e.ReturnValue, Pkcs11ErrorKind.Data);
                throw;
            }
            finally { _module.ExitCall(); }
        }
        // After Dispose the PIN is zeros and the sessions are closing: what fails then fails because of the disconnect.
        catch (Exception e) when (_disposed && e is not KeyStoreException) { throw Disconnected(e); }
    }

    private KeyStoreException NoSession() =>
        new(KeyStoreFailure.Timeout,
            $"No session of HSM '{TokenLabel}' became free within {_wait.TotalMilliseconds} ms.");

    private KeyStoreException Disconnected(Exception? inner) =>
        new(KeyStoreFailure.Unavailable, $"HSM '{TokenLabel}' was disconnected.", inner);

    /// <summary>A cached object handle by label, valid for the module's current generation; null if <paramref name="find"/> finds none.</summary>
    public nuint? Handle(Pkcs11Session session, string label, Func<Pkcs11Session, nuint?> find)
    {
        if (_handlesGeneration != session.Generation)
        {
            _handles.Clear();
            _handlesGeneration = session.Generation;
        }
        if (_handles.TryGetValue(label, out var handle)) return handle;
        if (find(session) is not { } found) return null;
        _handles[label] = found;
        return found;
    }

    public void ForgetHandle(string label) => _handles.TryRemove(label, out _);

    private Pkcs11Session Rent()
    {
        var generation = _module.Generation;
        while (_idle.TryPop(out var idle))
            if (idle.Generation == generation) return idle;
        EnsureLoggedIn(generation);
        return Pkcs11Session.Open(_module, _slot);
    }

    private void EnsureLoggedIn(int generation)
    {
        if (Volatile.Read(ref _loginGeneration) == generation) return;
        lock (_loginLock)
        {
            if (_loginGeneration == generation) return;
            // Never a login with the PIN Dispose zeroes (a failed login counts towards locking the HSM's user out).
            if (_disposed) throw Disconnected(null);
            _slot = _module.FindSlot(TokenLabel) ?? throw new Pkcs11ConfigurationException($"No token labelled '{TokenLabel}' in module '{_module.Path}'.");
            var session = Pkcs11Session.Open(_module, _slot);
            session.Login(_pin);
            _idle.Push(session);
            _loginGeneration = generation;
        }
    }

    /// <summary>Returns false when a reported device error turned out not to be one (the probe passed).</summary>
    private bool OnError(Pkcs11Session? session, Pkcs11Exception e)
    {
        switch (e.Kind)
        {
            case Pkcs11ErrorKind.Session:
                session?.Close();
                // Closing a token's last session logs it out for the whole process; log in again.
                if (e.ReturnValue == Interop.CKR.USER_NOT_LOGGED_IN) Volatile.Write(ref _loginGeneration, -1);
                break;
            case Pkcs11ErrorKind.Device:
                // A device error is believed only if a fresh session cannot do something trivial,
                // so a module that says CKR_GENERAL_ERROR about bad input cannot take an HSM out.
                if (session is not null && Probe())
                {
                    _idle.Push(session);
                    return false;
                }
                session?.Close();
                MarkFailed(e);
                break;
            default:
                if (session is not null) _idle.Push(session);
                break;
        }
        return true;
    }

    private bool Probe()
    {
        try
        {
            var session = Pkcs11Session.Open(_module, _slot);
            try
            {
                Span<byte> one = stackalloc byte[1];
                session.GenerateRandom(one);
            }
            finally { session.Close(); }
            return true;
        }
        catch (Pkcs11Exception) { return false; }
    }

    /// <summary>If failed: re-initializes the module, finds the token and logs in again. True when healthy.</summary>
    public bool TryRecover()
    {
        if (!_failed) return true;
        if (_excluded) return false;
        try
        {
            _module.Reinitialize(_failedGeneration, _wait);
            Open();
            return true;
        }
        catch (Exception e) when (Pkcs11Errors.IsHsmFailure(e))
        {
            LastError = e;
            return false;
        }
    }

    /// <summary>Takes the HSM out of service until <see cref="TryRecover"/> succeeds; its pooled sessions are void.</summary>
    internal void MarkFailed(Exception reason)
    {
        LastError = reason;
        _failedGeneration = _module.Generation;
        _failed = true;
        while (_idle.TryPop(out _)) { }
    }

    /// <summary>Out of service until the cluster is connected again (it lacks the cluster key; no retry can fix that).</summary>
    internal void Exclude(Exception reason)
    {
        _excluded = true;
        MarkFailed(reason);
    }

    /// <summary>
    /// Closes the pooled sessions and zeroes the PIN. A request still running on a session finishes, and its session is
    /// closed when it comes back (<see cref="Run{T}"/>). The permits are not disposed, since that request still releases
    /// one; a SemaphoreSlim holds nothing to free unless its wait handle was asked for.
    /// </summary>
    public void Dispose()
    {
        _disposed = true;
        _threads.Dispose();
        try
        {
            _module.EnterCall();
            try { CloseIdle(); }
            finally { _module.ExitCall(); }
        }
        catch (Pkcs11Exception) { /* the module is down; its sessions went with it */ }
        lock (_loginLock) CryptographicOperations.ZeroMemory(_pin); // after any login in progress, before any later one
    }

    /// <summary>Closes every pooled session of the module's current generation; the caller is inside a module call.</summary>
    private void CloseIdle()
    {
        while (_idle.TryPop(out var session))
        {
            try
            {
                if (session.Generation == _module.Generation) session.Close();
            }
            catch (Pkcs11Exception) { /* the module is down; its sessions went with it */ }
        }
    }
}
