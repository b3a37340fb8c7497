using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Keyward.MicroBench;

// In-process toolchain: no generated project (the solution's build settings would apply to it),
// short runs: these are per-request costs to compare with each other, not absolute claims.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
// Pick with --filter, e.g. --filter '*Signing*'; with no filter every class runs.
BenchmarkSwitcher.FromTypes([typeof(HotPathBenchmarks), typeof(SigningBenchmarks), typeof(AccessControlBenchmarks)]).Run(args.Length > 0 ? args : ["--filter", "*"], config);
