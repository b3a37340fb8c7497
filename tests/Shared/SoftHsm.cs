using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Keyward.Tests.Shared;

/// <summary>
/// SoftHSM2 for the tests, installed by scripts/test. SoftHSM is one instance per process and
/// reads its token directory once, at C_Initialize; so this process gets one private
/// configuration and a set of tokens made with softhsm2-util before the module is first loaded,
/// handed out one per caller. HSMs that must fail are reached through <see cref="FaultyHsm"/>.
/// </summary>
internal static partial class SoftHsm
{
    private const string ModulePath = "/usr/lib/softhsm/libsofthsm2.so";

    /// <summary>The SoftHSM module; asking for it sets up this process's SoftHSM configuration first.</summary>
    public static string Module
    {
        get
        {
            _ = Root.Value;
            return ModulePath;
        }
    }
    public const string Pin = "keyward-user-pin";
    public const string SoPin = "keyward-so-pin";
    private const int InProcessTokens = 32;

    private static readonly Lazy<string> Root = new(Initialize);
    private static int _next;

    /// <summary>The directory holding softhsm2.conf and the tokens.</summary>
    public static string Directory => Root.Value;
    public static string ConfigFile => Path.Combine(Root.Value, "softhsm2.conf");

    /// <summary>A token no other test uses, in this process's SoftHSM.</summary>
    public static string NewToken()
    {
        _ = Root.Value;
        var n = Interlocked.Increment(ref _next);
        if (n > InProcessTokens) throw new InvalidOperationException("More SoftHSM tokens are needed: raise InProcessTokens.");
        return $"kw-token-{n}";
    }

    private static string Initialize()
    {
        if (!File.Exists(ModulePath)) throw new InvalidOperationException($"{ModulePath} is missing: run the tests through scripts/test, which installs softhsm2.");
        var dir = Path.Combine(Path.GetTempPath(), $"keyward-softhsm-{Environment.ProcessId}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "tokens"));
        File.WriteAllText(Path.Combine(dir, "softhsm2.conf"),
            $"directories.tokendir = {Path.Combine(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        for (var i = 1; i <= InProcessTokens; i++) InitToken(Path.Combine(dir, "softhsm2.conf"), $"kw-token-{i}");
        // The module reads SOFTHSM2_CONF from the native environment when it is initialized.
        if (SetEnv("SOFTHSM2_CONF", Path.Combine(dir, "softhsm2.conf"), 1) != 0) throw new InvalidOperationException("setenv failed");
        return dir;
    }

    /// <summary>
    /// The slot id of a token this process made, as softhsm2-util reported it. Tools that take a label match it by
    /// prefix (OpenSC 0.23's pkcs11-tool picks kw-token-10 for kw-token-1, whichever comes first in slot order), so
    /// tests name a token to them by this id.
    /// </summary>
    public static string Slot(string label)
    {
        _ = Root.Value;
        return Slots.TryGetValue(label, out var slot) ? slot : throw new InvalidOperationException($"No token {label} was made here.");
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Slots = new(StringComparer.Ordinal);

    /// <summary>Creates a token with softhsm2-util in the token directory of <paramref name="config"/>.</summary>
    public static void InitToken(string config, string label)
    {
        var start = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--init-token", "--free", "--label", label, "--so-pin", SoPin, "--pin", Pin }) start.ArgumentList.Add(a);
        start.Environment["SOFTHSM2_CONF"] = config;
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"softhsm2-util --init-token {label} failed: {output}");
        var slot = System.Text.RegularExpressions.Regex.Match(output, @"reassigned to slot (\d+)");
        if (!slot.Success) throw new InvalidOperationException($"softhsm2-util --init-token {label} named no slot: {output}");
        Slots[label] = slot.Groups[1].Value;
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}

/// <summary>
/// One HSM that can be taken down and brought back: a token of this process's SoftHSM reached
/// through its own copy of faulty-hsm.c (compiled here with gcc), which forwards every call to
/// SoftHSM and answers CKR_DEVICE_ERROR while <see cref="Kill"/> is in effect. SoftHSM does all
/// the cryptography; the shim only makes the device drop off, as a network HSM does.
/// </summary>
internal sealed class FaultyHsm : IDisposable
{
    private static readonly Lazy<string> Shim = new(Compile);
    private readonly string _dir;
    private readonly string _faultFile;

    public string Token { get; } = SoftHsm.NewToken();
    public string Module { get; }

    public FaultyHsm()
    {
        _dir = Path.Combine(SoftHsm.Directory, "faulty-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(_dir);
        _faultFile = Path.Combine(_dir, "down");
        // A copy per HSM: the dynamic loader keeps one instance per file, so each copy fails alone.
        Module = Path.Combine(_dir, "faulty-hsm.so");
        File.Copy(Shim.Value, Module);
    }

    /// <summary>The environment Keyward sets when it loads <see cref="Module"/> (HsmOptions.Environment).</summary>
    public Dictionary<string, string> Environment => new() { ["KEYWARD_FAULT_BACKEND"] = SoftHsm.Module, ["KEYWARD_FAULT_FILE"] = _faultFile };

    public void Kill() => File.WriteAllText(_faultFile, "down");

    public void Start() => File.Delete(_faultFile);

    /// <summary>Every call waits <paramref name="delay"/> first (an overloaded HSM) until <see cref="Fast"/>.</summary>
    public void Slow(TimeSpan delay) => File.WriteAllText(_faultFile + ".slow", ((long)delay.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Fast() => File.Delete(_faultFile + ".slow");

    /// <summary>The next call answers CKR_DEVICE_ERROR and the HSM is fine again right after (a blip).</summary>
    public void Blip() => File.WriteAllText(_faultFile + ".once", "once");

    /// <summary>True until a call has taken the blip of <see cref="Blip"/>.</summary>
    public bool BlipPending => File.Exists(_faultFile + ".once");

    /// <summary>How many calls are inside the wait of <see cref="Slow"/> right now.</summary>
    public unsafe int Waiting
    {
        get
        {
            var library = NativeLibrary.Load(Module);
            try { return ((delegate* unmanaged<int>)NativeLibrary.GetExport(library, "keyward_fault_waiting"))(); }
            finally { NativeLibrary.Free(library); }
        }
    }

    /// <summary>How many C_Encrypt calls this HSM has answered with CKR_OK (the shim counts them).</summary>
    public unsafe ulong Encryptions
    {
        get
        {
            var library = NativeLibrary.Load(Module);
            try { return ((delegate* unmanaged<nuint>)NativeLibrary.GetExport(library, "keyward_fault_encryptions"))(); }
            finally { NativeLibrary.Free(library); }
        }
    }

    public void Dispose()
    {
        Start();
        Fast();
        File.Delete(_faultFile + ".once");
    }

    private static string Compile()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Shared", "faulty-hsm.c");
        var output = Path.Combine(SoftHsm.Directory, "faulty-hsm.so");
        var start = new ProcessStartInfo("gcc") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-shared", "-fPIC", "-O2", "-o", output, source, "-ldl" }) start.ArgumentList.Add(a);
        using var p = Process.Start(start) ?? throw new InvalidOperationException("gcc is missing: run the tests through scripts/test.");
        var errors = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"gcc failed on faulty-hsm.c: {errors}");
        return output;
    }
}
