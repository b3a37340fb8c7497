using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Keyward.Tests.Shared;

/// <summary>
/// SoftHSM2 for the tests, installed by scripts/test. SoftHSM is one instance per process and
/// reads its token directory once, at C_Initialize; so this process gets one private
/// configuration and a set of tokens made with softhsm2-util before the module is first loaded,
/// handed out one per caller. HSMs that must fail (be killed) run as separate processes behind
/// `p11-kit server` and are reached through p11-kit's client module (<see cref="RemoteHsm"/>).
/// </summary>
internal static partial class SoftHsm
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string Pin = "keyward-user-pin";
    public const string SoPin = "keyward-so-pin";
    private const int InProcessTokens = 24;

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
        if (!File.Exists(Module)) throw new InvalidOperationException($"{Module} is missing: run the tests through scripts/test, which installs softhsm2.");
        var dir = Path.Combine(Path.GetTempPath(), $"keyward-softhsm-{Environment.ProcessId}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "tokens"));
        File.WriteAllText(Path.Combine(dir, "softhsm2.conf"),
            $"directories.tokendir = {Path.Combine(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        for (var i = 1; i <= InProcessTokens; i++) InitToken(Path.Combine(dir, "softhsm2.conf"), $"kw-token-{i}");
        // The module reads SOFTHSM2_CONF from the native environment when it is initialized.
        if (SetEnv("SOFTHSM2_CONF", Path.Combine(dir, "softhsm2.conf"), 1) != 0) throw new InvalidOperationException("setenv failed");
        return dir;
    }

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
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}

/// <summary>
/// An HSM in its own process: SoftHSM behind `p11-kit server` on a Unix socket, with its own
/// token directory. Keyward reaches it through p11-kit-client.so with P11_KIT_SERVER_ADDRESS.
/// <see cref="Kill"/> is a real HSM failure (the connection dies); <see cref="Start"/> brings it back
/// with the same tokens.
/// </summary>
internal sealed class RemoteHsm : IDisposable
{
    private readonly string _dir;
    private Process? _server;

    public string Token { get; }
    public string Socket => Path.Combine(_dir, "hsm.sock");
    public string Address => $"unix:path={Socket}";

    public static string ClientModule =>
        new[] { "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so", "/usr/lib/aarch64-linux-gnu/pkcs11/p11-kit-client.so" }
            .FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("p11-kit-client.so is missing: run the tests through scripts/test.");

    public RemoteHsm(string token)
    {
        Token = token;
        // Unix socket paths are short (108 bytes): keep the directory near the root.
        _dir = Path.Combine("/tmp", $"kwh-{Guid.NewGuid():N}"[..16]);
        Directory.CreateDirectory(Path.Combine(_dir, "tokens"));
        File.WriteAllText(ConfigFile, $"directories.tokendir = {Path.Combine(_dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
        SoftHsm.InitToken(ConfigFile, token);
        Start();
    }

    private string ConfigFile => Path.Combine(_dir, "softhsm2.conf");

    public void Start()
    {
        if (File.Exists(Socket)) File.Delete(Socket);
        var start = new ProcessStartInfo("p11-kit") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "server", "-f", "-n", Socket, "-p", SoftHsm.Module, $"pkcs11:token={Token}" }) start.ArgumentList.Add(a);
        start.Environment["SOFTHSM2_CONF"] = ConfigFile;
        _server = Process.Start(start)!;
        for (var i = 0; i < 200 && !File.Exists(Socket); i++) Thread.Sleep(25);
        if (!File.Exists(Socket)) throw new InvalidOperationException("p11-kit server did not create its socket.");
    }

    /// <summary>SIGKILL to the server and every per-connection child it forked: the HSM is gone mid-call.</summary>
    public void Kill()
    {
        if (_server is null) return;
        var pid = _server.Id;
        using (var children = Process.Start(new ProcessStartInfo("pkill", $"-9 -P {pid}"))!) children.WaitForExit();
        try { _server.Kill(); } catch (InvalidOperationException) { }
        _server.WaitForExit();
        _server.Dispose();
        _server = null;
    }

    public Dictionary<string, string> Environment => new() { ["P11_KIT_SERVER_ADDRESS"] = Address };

    public void Dispose()
    {
        Kill();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
