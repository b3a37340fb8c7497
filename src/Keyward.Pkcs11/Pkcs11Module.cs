using System.Runtime.InteropServices;
using Keyward.Pkcs11.Interop;

namespace Keyward.Pkcs11;

/// <summary>
/// A loaded and initialized PKCS#11 module, reached through the function table its
/// C_GetFunctionList returns. A module that hands out the same table twice (SoftHSM: one
/// instance per process) is one <see cref="Pkcs11Module"/>; one that hands out a fresh table per
/// call (p11-kit's client: one per server address) is several.
/// Calls run under a read lock; <see cref="Reinitialize"/> takes the write lock, so C_Finalize
/// never runs while another thread is inside the module. Each re-initialization bumps
/// <see cref="Generation"/>: sessions and object handles of older generations are void.
/// </summary>
public sealed unsafe class Pkcs11Module
{
    private static readonly Lock LoadLock = new();
    private static readonly Dictionary<nint, Pkcs11Module> Loaded = [];

    private readonly CK_FUNCTION_LIST* _functions;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.SupportsRecursion);
    private bool _initialized;

    public string Path { get; }
    public int Generation { get; private set; }
    internal CK_FUNCTION_LIST* Functions => _functions;

    private Pkcs11Module(string path, CK_FUNCTION_LIST* functions)
    {
        Path = path;
        _functions = functions;
    }

    /// <summary>
    /// Loads <paramref name="path"/> with <paramref name="environment"/> set in the native
    /// environment first (vendor modules read their configuration from it), and initializes it
    /// for multi-threaded use with the operating system's locking.
    /// </summary>
    public static Pkcs11Module Load(string path, IReadOnlyDictionary<string, string>? environment = null)
    {
        lock (LoadLock)
        {
            foreach (var (name, value) in environment ?? new Dictionary<string, string>())
                if (LibC.SetEnv(name, value, 1) != 0) throw new InvalidOperationException($"setenv {name} failed");
            if (!NativeLibrary.TryLoad(path, out var library))
                throw new Pkcs11ConfigurationException($"The PKCS#11 module '{path}' cannot be loaded.");
            if (!NativeLibrary.TryGetExport(library, "C_GetFunctionList", out var export))
                throw new Pkcs11ConfigurationException($"'{path}' is not a PKCS#11 module (no C_GetFunctionList).");
            CK_FUNCTION_LIST* list;
            Check("C_GetFunctionList", ((delegate* unmanaged<CK_FUNCTION_LIST**, nuint>)export)(&list));
            if (Loaded.TryGetValue((nint)list, out var module)) return module;
            module = new Pkcs11Module(path, list);
            module.Initialize();
            Loaded[(nint)list] = module;
            return module;
        }
    }

    private void Initialize()
    {
        var args = new CK_C_INITIALIZE_ARGS { flags = CKF.OS_LOCKING_OK };
        var rv = _functions->C_Initialize(&args);
        // Another component of this process initialized it first; it is usable as it is.
        if (rv != CKR.CRYPTOKI_ALREADY_INITIALIZED) Check("C_Initialize", rv);
        _initialized = true;
    }

    /// <summary>
    /// C_Finalize then C_Initialize, unless someone already did since <paramref name="seenGeneration"/>.
    /// Throws if the module cannot be initialized again yet (the device is still down).
    /// </summary>
    public void Reinitialize(int seenGeneration, TimeSpan wait)
    {
        if (!_lock.TryEnterWriteLock(wait)) throw new Pkcs11Exception("C_Finalize", CKR.FUNCTION_FAILED);
        try
        {
            if (Generation != seenGeneration && _initialized) return;
            if (_initialized) _functions->C_Finalize(null);
            _initialized = false;
            Generation++;
            Initialize();
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Enters a call (read lock); the caller must <see cref="ExitCall"/> on the same thread.</summary>
    public void EnterCall()
    {
        _lock.EnterReadLock();
        if (_initialized) return;
        _lock.ExitReadLock();
        throw new Pkcs11Exception("C_Initialize", CKR.CRYPTOKI_NOT_INITIALIZED);
    }

    public void ExitCall() => _lock.ExitReadLock();

    /// <summary>The slot whose token has <paramref name="label"/>, or null.</summary>
    public nuint? FindSlot(string label)
    {
        EnterCall();
        try
        {
            nuint count = 0;
            Check("C_GetSlotList", _functions->C_GetSlotList(1, null, &count));
            var slots = new nuint[count];
            fixed (nuint* p = slots) Check("C_GetSlotList", _functions->C_GetSlotList(1, p, &count));
            foreach (var slot in slots.AsSpan(0, (int)count))
            {
                CK_TOKEN_INFO info;
                if (_functions->C_GetTokenInfo(slot, &info) != CKR.OK) continue;
                if (PaddedText(info.label) == label) return slot;
            }
            return null;
        }
        finally { ExitCall(); }
    }

    private static string PaddedText(ReadOnlySpan<byte> field) => System.Text.Encoding.UTF8.GetString(field).TrimEnd(' ', '\0');

    internal static void Check(string function, nuint rv)
    {
        if (rv != CKR.OK) throw new Pkcs11Exception(function, rv);
    }
}

/// <summary>The configured module or token cannot be used at all (a wrong path, a missing token).</summary>
public sealed class Pkcs11ConfigurationException(string message) : Exception(message);
