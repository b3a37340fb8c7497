using System.Globalization;
using System.Text.Json;
using Keyward.Server.Hosting;

namespace Keyward.Server.Operations;

/// <summary>
/// The access line of each answered request (event 16 of category Keyward.Kms), written straight to standard output in
/// the shape the console logger gives every other event (<c>--log-format</c>): a line a request went through the
/// logging pipeline's queue, formatter and state objects at a sixth of Encrypt's throughput; formatted into a
/// per-thread buffer it costs a few hundred nanoseconds. Standard output is a synchronized writer, so lines from
/// here and from the logger never interleave. Identifiers and outcome only: never a request member's value.
/// </summary>
internal sealed class AccessLog(LogFormat format)
{
    public const int EventId = 16;
    [ThreadStatic] private static char[]? t_buffer;

    public void Write(string requestId, string operation, string principal, string key, int status, string error, double milliseconds)
    {
        var buffer = t_buffer ??= new char[1024];
        var now = DateTime.UtcNow;
        var ms = Math.Round(milliseconds, 3);
        int n;
        if (format == LogFormat.Text)
        {
            while (!buffer.AsSpan().TryWrite(CultureInfo.InvariantCulture,
                       $"{now:yyyy-MM-ddTHH:mm:ss.fffZ} info: Keyward.Kms[{EventId}] Request {requestId} {operation} by {principal} on {key}: {status} {error} in {ms} ms{Environment.NewLine}",
                       out n))
                buffer = t_buffer = new char[buffer.Length * 2];
        }
        else
        {
            var message = string.Create(CultureInfo.InvariantCulture, $"Request {requestId} {operation} by {principal} on {key}: {status} {error} in {ms} ms");
            while (!buffer.AsSpan().TryWrite(CultureInfo.InvariantCulture,
                       $$$"""{"Timestamp":"{{{now:yyyy-MM-ddTHH:mm:ss.fffZ}}}","EventId":{{{EventId}}},"LogLevel":"Information","Category":"Keyward.Kms","Message":{{{Json(message)}}},"State":{"Message":{{{Json(message)}}},"RequestId":{{{Json(requestId)}}},"Operation":{{{Json(operation)}}},"Principal":{{{Json(principal)}}},"Key":{{{Json(key)}}},"Status":{{{status}}},"Error":{{{Json(error)}}},"DurationMs":{{{ms}}}}}{{{Environment.NewLine}}}""",
                       out n))
                buffer = t_buffer = new char[buffer.Length * 2];
        }
        Console.Out.Write(buffer.AsSpan(0, n));
        if (buffer.Length > 16 * 1024) t_buffer = null; // an unusually long line does not stay pinned to the thread
    }

    private static string Json(string value) => "\"" + JsonEncodedText.Encode(value).ToString() + "\"";
}
