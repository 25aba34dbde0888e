using BenchmarkDotNet.Attributes;
using Gateway.Rules;

namespace Gateway.Benchmarks;

/// <summary>
/// Evaluation of ten typical rules (header tests, a JA4 list, TTL and TCP option checks, a
/// retransmission count, a path prefix) on one request that matches none, as most requests
/// do: the per-request cost of rules. Budget: 1 µs for the ten.
/// </summary>
public class RuleBenchmarks
{
    private readonly RuleOutcome _outcome = new();
    private RuleSet _rules = null!;
    private Attributes _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rules = TypicalRules.Compile();
        _request = new Attributes(TypicalRules.Request());
    }

    /// <summary>Ten rules, no match: what every ordinary request pays (the outcome is reused, as the pooled request record reuses it).</summary>
    [Benchmark]
    public bool TenRules_NoMatch()
    {
        var outcome = _outcome.Reset();
        _rules.Evaluate(RulePhase.Request, _request, "api", outcome);
        return outcome.Matched;
    }

    /// <summary>
    /// The ten rules compiled, as a reload does (parse, each condition and the request phase's program
    /// compiled by the runtime): what a configuration change costs, off the request path.
    /// </summary>
    [Benchmark]
    public RuleSet CompileTenRules() => TypicalRules.Compile();

    /// <summary>The request's attributes as the rules read them: one lookup per attribute.</summary>
    private sealed class Attributes(Dictionary<string, RuleValue> values) : IRuleAttributes
    {
        public bool TryGet(string name, out RuleValue value) => values.TryGetValue(name, out value);
    }
}
