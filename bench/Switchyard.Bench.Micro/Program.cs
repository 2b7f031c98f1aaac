using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// Per-request and per-event costs of the hot paths: time and bytes allocated.
// Run: dotnet run -c Release --project bench/Switchyard.Bench.Micro [-- --filter *Stream*]
var config = DefaultConfig.Instance.AddJob(Job.ShortRun.WithId("short")).WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Switchyard.Bench.Micro.RequestBenchmarks).Assembly).Run(args, config);

