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
    private static readonly ConcurrentDictionary<string, StrongBox<long>> MatchedByRule = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, StrongBox<long>> ErrorsByRule = new(StringComparer.Ordinal);
    private static readonly ObservableCounter<long> Matches = Meter.CreateObservableCounter("gateway.rules.matched", () => ObserveByRule(MatchedByRule),
        unit: "{request}", description: "Requests a rule matched, by rule");
    private static readonly ObservableCounter<long> Errors = Meter.CreateObservableCounter("gateway.rules.errors", () => ObserveByRule(ErrorsByRule),
        unit: "{evaluation}", description: "Rule evaluations that failed at run time (the request went through unless the rule is fail-closed), by rule");
    private static readonly long[] EvaluatedByPhase = new long[3];
    private static readonly ObservableCounter<long> Evaluations = Meter.CreateObservableCounter("gateway.rules.evaluations", ObserveEvaluations,
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
            Interlocked.Add(ref EvaluatedByPhase[(int)phase], count);
        }
    }

    // A phase shows once something was evaluated in it, as it did when the counter was added to.
    private static IEnumerable<Measurement<long>> ObserveEvaluations()
    {
        for (var phase = RulePhase.Connection; phase <= RulePhase.Response; phase++)
        {
            var count = Volatile.Read(ref EvaluatedByPhase[(int)phase]);
            if (count > 0)
            {
                yield return new Measurement<long>(count, new KeyValuePair<string, object?>("phase", NameOf(phase)));
            }
        }
    }

    private static string NameOf(RulePhase phase) => phase switch
    {
        RulePhase.Connection => ConnectionPhase,
        RulePhase.Request => RequestPhase,
        _ => ResponsePhase,
    };

    /// <summary>The total of <c>gateway.rules.matched</c> for the rule named <paramref name="rule"/>, to count into.</summary>
    internal static StrongBox<long> MatchedTotal(string rule) => MatchedByRule.GetOrAdd(rule, static _ => new StrongBox<long>());

    /// <summary>The total of <c>gateway.rules.errors</c> for the rule named <paramref name="rule"/>, to count into.</summary>
    internal static StrongBox<long> ErrorsTotal(string rule) => ErrorsByRule.GetOrAdd(rule, static _ => new StrongBox<long>());

    internal static void Count(StrongBox<long> total) => Interlocked.Increment(ref total.Value);

    // A rule shows once it has counted something, as it did when the counter was added to.
    private static IEnumerable<Measurement<long>> ObserveByRule(ConcurrentDictionary<string, StrongBox<long>> totals)
    {
        foreach (var (rule, total) in totals)
        {
            var count = Volatile.Read(ref total.Value);
            if (count > 0)
            {
                yield return new Measurement<long>(count, new KeyValuePair<string, object?>("rule", rule));
            }
        }
    }

    internal static void Lost(string reason) => WebhookLost.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
