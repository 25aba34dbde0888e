using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Gateway.Benchmarks;

/// <summary>
/// <c>micro [BenchmarkDotNet options]</c>: the hot-path micro-benchmarks;
/// <c>bpf [--repeat N] [--runs N]</c>: the BPF programs' cost per packet;
/// <c>sizes</c>: the OTLP bytes of one request's record (full and core access record);
/// <c>rules-json</c>: the ten typical rules as the gateway's <c>Rules</c> section (bench/profile.sh's rules row);
/// <c>rules-step [--requests N] [--repeat K] [--steps-only]</c>: their cost per request over real Kestrel requests (<see cref="RuleStepCost"/>).
/// </summary>
public static class Program
{
    /// <summary>Runs the chosen part; 0 also when a part was skipped for lack of privileges.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "bpf")
        {
            return BpfPacketCost.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "sizes")
        {
            return RecordSizes.Run();
        }

        if (args.Length > 0 && args[0] == "rules-json")
        {
            Console.Out.WriteLine(TypicalRules.ConfigSection());
            return 0;
        }

        if (args.Length > 0 && args[0] == "rules-step")
        {
            return RuleStepCost.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args.Length > 0 && args[0] == "micro")
        {
            args = args[1..];
        }

        var types = new List<Type> { typeof(HeaderCaptureBenchmarks), typeof(AttributeBenchmarks), typeof(AccessRecordBenchmarks), typeof(RuleBenchmarks) };
        if (FlowLookupBenchmarks.CannotRunBecause() is { } reason)
        {
            Console.Out.WriteLine($"Skipped: {nameof(FlowLookupBenchmarks)}: {reason}");
        }
        else
        {
            types.Add(typeof(FlowLookupBenchmarks));
        }

        var summaries = BenchmarkSwitcher.FromTypes([.. types]).Run(args, Config());
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    // In-process (no per-benchmark project build: the whole set runs in about a minute),
    // short but with enough iterations for a stable median; bytes per operation from the
    // memory diagnoser; one joined GitHub-markdown table.
    private static ManualConfig Config() =>
        ManualConfig.CreateEmpty()
            .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
            .AddLogger(DefaultConfig.Instance.GetLoggers().ToArray())
            .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray())
            .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
            .AddExporter(MarkdownExporter.GitHub)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithWarmupCount(3)
                .WithIterationCount(10)
                .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
                .WithId("InProcess-short"))
            .WithOptions(ConfigOptions.JoinSummary);
}
