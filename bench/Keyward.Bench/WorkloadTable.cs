using System.Globalization;

namespace Keyward.Bench;

/// <summary>
/// The measured table of `bench/run` and `bench/run pq`: per concurrency, every workload once per round, back to back
/// (so a slow drift of the machine hits them alike), then the medians of the rounds and each workload's throughput as
/// a ratio to its baseline row (<c>Baseline</c> is that row's index).
/// </summary>
internal static class WorkloadTable
{
    public static async Task RunAsync((string Name, LoadGenerator Load, string Operation, byte[] Body, int Baseline)[] workloads,
        int[] levels, int rounds, TimeSpan warmup, TimeSpan duration)
    {
        Console.WriteLine("| concurrency | workload | req/s | p50 ms | p99 ms | errors | req/s ÷ its baseline |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var c in levels)
        {
            var results = workloads.Select(_ => new List<LoadGenerator.Result>()).ToArray();
            for (var r = 0; r < rounds; r++)
                for (var w = 0; w < workloads.Length; w++)
                    results[w].Add(await workloads[w].Load.RunAsync(workloads[w].Operation, workloads[w].Body, c, warmup, duration));
            var medians = results.Select(LoadGenerator.Result.Median).ToArray();
            for (var w = 0; w < workloads.Length; w++)
            {
                var (m, b) = (medians[w], medians[workloads[w].Baseline]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {c} | {workloads[w].Name} | {m.RequestsPerSecond:F0} | {m.P50Ms:F2} | {m.P99Ms:F2} | {m.Errors} | {m.RequestsPerSecond / b.RequestsPerSecond:P0} |"));
            }
        }
    }
}
