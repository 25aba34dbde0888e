using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Gateway.Rules;

/// <summary>The rules' counters (meter <c>Gateway.Rules</c>): conditions evaluated by phase; by rule name: matches, run-time errors; alerts lost by the webhook.</summary>
public static class RuleMetrics
{
    /// <summary>The meter's name, for the metrics exporter.</summary>
    public const string MeterName = "Gateway.Rules";

    private static readonly Meter Meter = new(MeterName);
    // Counted in place and read when metrics are collected: a Counter's Add with a tag made the metrics SDK find the tag's
    // point on every call (AggregatorStore.Update, ~0.1 us per request in bench/profile.sh's rules row). By rule name, the
    // totals outlive a reload that keeps the name, as the SDK's points did; each compiled rule holds its own two.
    private static readonly Totals MatchedByRule = new("rule");
    private static readonly Totals ErrorsByRule = new("rule");
    private static readonly Totals EvaluatedByPhase = new("phase");
    // In RulePhase's order, so that a phase finds its total by index on the request's path.
    private static readonly StrongBox<long>[] PhaseTotals =
        [EvaluatedByPhase.For(ConnectionPhase), EvaluatedByPhase.For(RequestPhase), EvaluatedByPhase.For(ResponsePhase)];
    private static readonly ObservableCounter<long> Matches = Meter.CreateObservableCounter("gateway.rules.matched", MatchedByRule.Observe,
        unit: "{request}", description: "Requests a rule matched, by rule");
    private static readonly ObservableCounter<long> Errors = Meter.CreateObservableCounter("gateway.rules.errors", ErrorsByRule.Observe,
        unit: "{evaluation}", description: "Rule evaluations that failed at run time (the request went through unless the rule is fail-closed), by rule");
    private static readonly ObservableCounter<long> Evaluations = Meter.CreateObservableCounter("gateway.rules.evaluations", EvaluatedByPhase.Observe,
        unit: "{evaluation}", description: "Rule conditions evaluated, by phase: connection (once per connection), request, response");
    private static readonly Counter<long> WebhookLost = Meter.CreateCounter<long>("gateway.alerts.webhook.lost", unit: "{alert}",
        description: "Alerts the webhook did not deliver, by reason: queue_full, undelivered (every attempt failed), shutdown");

    /// <summary>The <c>phase</c> of an evaluation of the connection's rules (once per connection).</summary>
    public const string ConnectionPhase = "connection";

    /// <summary>The <c>phase</c> of an evaluation of a request's rules (before proxying).</summary>
    public const string RequestPhase = "request";

    /// <summary>The <c>phase</c> of an evaluation when the response ended.</summary>
    public const string ResponsePhase = "response";

    // Once per phase, not per rule: a request pays one interlocked add for all its rules.
    internal static void Evaluated(RulePhase phase, int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref PhaseTotals[(int)phase].Value, count);
        }
    }

    /// <summary>The total of <c>gateway.rules.matched</c> for the rule named <paramref name="rule"/>, to count into.</summary>
    internal static StrongBox<long> MatchedTotal(string rule) => MatchedByRule.For(rule);

    /// <summary>The total of <c>gateway.rules.errors</c> for the rule named <paramref name="rule"/>, to count into.</summary>
    internal static StrongBox<long> ErrorsTotal(string rule) => ErrorsByRule.For(rule);

    internal static void Count(StrongBox<long> total) => Interlocked.Increment(ref total.Value);

    internal static void Lost(string reason) => WebhookLost.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Running totals by the value of one tag, reported as an observable counter's measurements.</summary>
    private sealed class Totals(string tag)
    {
        private readonly ConcurrentDictionary<string, StrongBox<long>> _byValue = new(StringComparer.Ordinal);

        public StrongBox<long> For(string value) => _byValue.GetOrAdd(value, static _ => new StrongBox<long>());

        // A value shows once it has counted something, as it did when a Counter was added to.
        public IEnumerable<Measurement<long>> Observe()
        {
            foreach (var (value, total) in _byValue)
            {
                var count = Volatile.Read(ref total.Value);
                if (count > 0)
                {
                    yield return new Measurement<long>(count, new KeyValuePair<string, object?>(tag, value));
                }
            }
        }
    }
}
