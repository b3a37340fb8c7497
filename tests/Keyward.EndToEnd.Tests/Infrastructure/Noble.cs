using System.Text.Json;
using System.Text.Json.Nodes;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The noble libraries (@noble/curves, @noble/post-quantum; Interop/noble/verify.mjs) as an independent second
/// implementation of Ed25519, ML-DSA and ML-KEM: Keyward's output is checked by code that shares nothing with it.
/// </summary>
public static class Noble
{
    /// <summary>Runs the checks in one node process; each result is the JSON object verify.mjs printed for it.</summary>
    public static async Task<List<JsonElement>> RunAsync(params JsonObject[] checks)
    {
        var folder = Folder();
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "@noble")),
            $"{folder}/node_modules is missing: run scripts/test, which installs the noble libraries with npm ci");
        var input = new JsonObject { ["checks"] = new JsonArray([.. checks]) }.ToJsonString();
        var (code, stdout, stderr) = await ExternalProcess.RunAsync("node", [Path.Combine(folder, "verify.mjs")],
            new Dictionary<string, string> { ["NODE_NO_WARNINGS"] = "1" }, folder, stdin: input);
        Assert.True(code == 0, $"verify.mjs failed ({code}): {stderr}");
        var results = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(checks.Length, results.Count);
        foreach (var r in results) Assert.False(r.TryGetProperty("error", out var error), $"verify.mjs: {error}");
        return results;
    }

    public static async Task<bool> VerifiesAsync(JsonObject check) => (await RunAsync(check))[0].GetProperty("valid").GetBoolean();

    public static string B64(byte[] bytes) => Convert.ToBase64String(bytes);

    public static byte[] Bytes(JsonElement result, string name) => Convert.FromBase64String(result.GetProperty(name).GetString()!);

    private static string Folder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Interop", "noble");
            if (File.Exists(Path.Combine(candidate, "verify.mjs"))) return candidate;
        }
        throw new DirectoryNotFoundException("Interop/noble not found above " + AppContext.BaseDirectory);
    }
}
