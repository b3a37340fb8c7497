using System.Diagnostics;

namespace Keyward.Bench;

/// <summary>
/// Open-loop load: requests are due at a fixed rate whatever the answers do, and each latency is measured from the
/// instant the request was due, not from when it was sent, so a stalled server shows in the tail (no coordinated
/// omission, as in wrk2). Non-200 answers and transport failures count as errors.
/// </summary>
internal static partial class OpenLoop
{
    public sealed record Result(long Sent, double Achieved, double P50, double P99, double P999, double Max, long Errors, long Over250);

    /// <remarks>
    /// Through an HttpClient, each request made by <paramref name="request"/> (the XKS benchmark signs each one, in
    /// process). One dedicated thread paces the requests: it sleeps (usleep, well under a millisecond here) until the next one
    /// is due instead of spinning, so on a 2-core machine the generator does not take a core from the server it measures.
    /// </remarks>
    public static async Task<Result> RunAsync(HttpClient http, Func<HttpRequestMessage> request, int rate, TimeSpan duration)
    {
        var total = (long)(rate * duration.TotalSeconds);
        var latencies = new double[total];
        long errors = 0;
        var pending = new Task[total];
        var origin = Stopwatch.GetTimestamp();
        var pacer = new Thread(() =>
        {
            for (long i = 0; i < total; i++)
            {
                var due = origin + (long)(i * (double)Stopwatch.Frequency / rate);
                // Never early (an oversleep of tens of microseconds counts against the target, alike for both).
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero) Usleep((uint)Math.Ceiling(wait.TotalMicroseconds));
                pending[i] = SendAsync(i, due);
            }
        }) { IsBackground = true, Name = "open-loop pacer" };
        pacer.Start();
        pacer.Join();
        await Task.WhenAll(pending);
        var elapsed = Stopwatch.GetElapsedTime(origin).TotalSeconds;
        var sorted = latencies.Order().ToArray();
        return new(total, total / elapsed, Percentile(sorted, 0.50), Percentile(sorted, 0.99), Percentile(sorted, 0.999),
            sorted.Length == 0 ? 0 : sorted[^1], errors, sorted.Count(l => l > 250));

        async Task SendAsync(long index, long due)
        {
            try
            {
                using var message = request();
                using var response = await http.SendAsync(message).ConfigureAwait(false);
                await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                if (response.StatusCode != System.Net.HttpStatusCode.OK) Interlocked.Increment(ref errors);
            }
            catch (Exception) { Interlocked.Increment(ref errors); }
            latencies[index] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
        }
    }

    // Thread.Sleep counts whole milliseconds (a shorter wait is a bare yield, which spins); usleep sleeps microseconds.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "usleep")]
    private static extern int Usleep(uint microseconds);

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
