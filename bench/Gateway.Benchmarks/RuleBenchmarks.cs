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
        string[] conditions =
        [
            "\"http.request.header.x-internal-token\" in attrs",
            "attrs[\"http.request.header.user-agent\"].exists(v, v.contains(\"Windows\")) && attrs[\"wire.ip.ttl\"] <= 64",
            "\"tls.client.ja4\" in attrs && attrs[\"tls.client.ja4\"] in [\"t13d1516h2_8daaf6152771_02713d6af862\", \"t13d1517h2_8daaf6152771_b1ff8ab2d16f\"]",
            "\"gateway.forwarded.mismatch\" in attrs && attrs[\"gateway.forwarded.mismatch\"].contains(\"ttl-far\")",
            "attrs[\"wire.conn.retransmits_out\"] > 10",
            "attrs[\"url.path\"].startsWith(\"/admin\") && attrs[\"http.request.method\"] != \"GET\"",
            "attrs[\"wire.tcp.mss\"] < 536",
            "attrs[\"http.request.header.user-agent\"].exists(v, v.matches(\"(?i)sqlmap|nikto|masscan\"))",
            "size(attrs[\"http.request.header.user-agent\"]) > 1",
            "attrs[\"client.address\"] in [\"203.0.113.7\", \"198.51.100.23\"]",
        ];
        _rules = RuleSet.Compile(conditions.Select((c, i) => new RuleDefinition($"rule-{i}", c, RuleActions.Tag | RuleActions.Alert)));
        _request = new Attributes(new Dictionary<string, RuleValue>
        {
            ["http.request.method"] = RuleValue.Of("GET"),
            ["url.path"] = RuleValue.Of("/api/hello"),
            ["client.address"] = RuleValue.Of("127.0.0.1"),
            ["http.request.header.user-agent"] = RuleValue.OfStrings("curl/8.5.0"),
            ["wire.ip.ttl"] = RuleValue.Of(64L),
            ["wire.tcp.mss"] = RuleValue.Of(65495L),
            ["wire.conn.retransmits_out"] = RuleValue.Of(0L),
        });
    }

    /// <summary>Ten rules, no match: what every ordinary request pays (the outcome is reused, as the pooled request record reuses it).</summary>
    [Benchmark]
    public bool TenRules_NoMatch()
    {
        var outcome = _outcome.Reset();
        _rules.Evaluate(RulePhase.Request, _request, "api", outcome);
        return outcome.Matched;
    }

    /// <summary>The request's attributes as the rules read them: one lookup per attribute.</summary>
    private sealed class Attributes(Dictionary<string, RuleValue> values) : IRuleAttributes
    {
        public bool TryGet(string name, out RuleValue value) => values.TryGetValue(name, out value);
    }
}
