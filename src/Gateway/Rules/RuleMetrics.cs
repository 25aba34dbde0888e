using System.Diagnostics.Metrics;

namespace Gateway.Rules;

/// <summary>The rules' counters (meter <c>Gateway.Rules</c>): conditions evaluated by phase; by rule name: matches, run-time errors; alerts lost by the webhook.</summary>
public static class RuleMetrics
{
    /// <summary>The meter's name, for the metrics exporter.</summary>
    public const string MeterName = "Gateway.Rules";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Matches = Meter.CreateCounter<long>("gateway.rules.matched", unit: "{request}",
        description: "Requests a rule matched, by rule");
    private static readonly Counter<long> Errors = Meter.CreateCounter<long>("gateway.rules.errors", unit: "{evaluation}",
        description: "Rule evaluations that failed at run time (the request went through unless the rule is fail-closed), by rule");
    // Counted in place, by phase, and read when metrics are collected: a Counter's Add with a tag made the metrics SDK find
    // the tag's point on every request (AggregatorStore.Update, ~0.1 us per request in bench/profile.sh's rules row).
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

    internal static void Match(string rule) => Matches.Add(1, new KeyValuePair<string, object?>("rule", rule));

    internal static void Error(string rule) => Errors.Add(1, new KeyValuePair<string, object?>("rule", rule));

    internal static void Lost(string reason) => WebhookLost.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
