using Keyward.Cli;

// Standard output is buffered and flushed every 50 ms (and at exit), not written once per line: the log has a line
// per request, and a write() per line cost a quarter of Encrypt's throughput (docs/benchmarks.md).
using var output = BufferedStandardOutput.Install();
return await Commands.RunAsync(args);
