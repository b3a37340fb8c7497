using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Keyward.Server.WebConsole;

/// <summary>
/// The console's static files at <c>/console/</c>, built into this assembly (WebConsole/wwwroot). The page has no API of
/// its own: it signs KMS and CloudTrail calls in the browser with the user's access key, so policies and grants decide
/// what it may do and every call is audited like any other. Served with a strict Content-Security-Policy (no inline
/// script or style, nothing from another origin), <c>frame-ancestors 'none'</c> and <c>Referrer-Policy: no-referrer</c>.
/// </summary>
internal sealed class ConsoleEndpoint
{
    public const string Root = "/console";
    private const string ResourcePrefix = "console/";

    /// <summary>Every response of the console carries these.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private sealed record Asset(byte[] Body, string ContentType, string ETag);

    private readonly FrozenDictionary<string, Asset> _assets;

    /// <param name="region">The region the page signs for (the server's), given to it in config.json.</param>
    public ConsoleEndpoint(string region)
    {
        var assembly = typeof(ConsoleEndpoint).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[name[ResourcePrefix.Length..]] = Make(copy.ToArray(), name);
        }
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("region", region);
            w.WriteEndObject();
        }
        var config = buffer.WrittenSpan.ToArray();
        assets["config.json"] = Make(config, "config.json");
        _assets = assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static Asset Make(byte[] body, string name) =>
        new(body, ContentTypeOf(name), "\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12)) + "\"");

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".json" => "application/json",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };

    /// <summary>Answers GET and HEAD under /console; false leaves the request to the KMS API.</summary>
    public bool TryHandle(HttpContext context, out Task handled)
    {
        handled = Task.CompletedTask;
        var request = context.Request;
        var path = request.Path.Value ?? "";
        if (!path.StartsWith(Root, StringComparison.Ordinal) || (path.Length > Root.Length && path[Root.Length] != '/')) return false;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)) return false;
        var response = context.Response;
        Secure(response.Headers);
        if (path == Root)
        {
            response.StatusCode = 308;
            response.Headers.Location = Root + "/";
            return true;
        }
        var name = path[(Root.Length + 1)..];
        if (name.Length == 0) name = "index.html";
        if (!_assets.TryGetValue(name, out var asset))
        {
            response.StatusCode = 404;
            response.ContentType = "text/plain; charset=utf-8";
            handled = response.WriteAsync("Not found.\n", context.RequestAborted);
            return true;
        }
        response.Headers.ETag = asset.ETag;
        // The page itself is checked every time (a new build serves new files); every file is revalidated by its ETag.
        response.Headers.CacheControl = "no-cache";
        if (request.Headers.IfNoneMatch == asset.ETag)
        {
            response.StatusCode = 304;
            return true;
        }
        response.StatusCode = 200;
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Body.Length;
        if (HttpMethods.IsGet(request.Method)) handled = response.Body.WriteAsync(asset.Body, context.RequestAborted).AsTask();
        return true;
    }

    private static void Secure(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
}
