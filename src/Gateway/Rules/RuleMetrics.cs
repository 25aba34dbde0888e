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
    private static readonly Counter<long> Evaluations = Meter.CreateCounter<long>("gateway.rules.evaluations", unit: "{evaluation}",
        description: "Rule conditions evaluated, by phase: connection (once per connection), request, response");
    private static readonly Counter<long> WebhookLost = Meter.CreateCounter<long>("gateway.alerts.webhook.lost", unit: "{alert}",
        description: "Alerts the webhook did not deliver, by reason: queue_full, undelivered (every attempt failed), shutdown");

    /// <summary>The <c>phase</c> of an evaluation of the connection's rules (once per connection).</summary>
    public const string ConnectionPhase = "connection";

    /// <summary>The <c>phase</c> of an evaluation of a request's rules (before proxying).</summary>
    public const string RequestPhase = "request";

    /// <summary>The <c>phase</c> of an evaluation when the response ended.</summary>
    public const string ResponsePhase = "response";

    // Once per phase, not per rule: a request pays one counter update for all its rules.
    internal static void Evaluated(string phase, int count)
    {
        if (count > 0)
        {
            Evaluations.Add(count, new KeyValuePair<string, object?>("phase", phase));
        }
    }

    internal static void Match(string rule) => Matches.Add(1, new KeyValuePair<string, object?>("rule", rule));

    internal static void Error(string rule) => Errors.Add(1, new KeyValuePair<string, object?>("rule", rule));

    internal static void Lost(string reason) => WebhookLost.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
