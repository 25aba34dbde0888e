using System.Diagnostics.Metrics;

namespace Gateway.Rules;

/// <summary>The rules' counters (meter <c>Gateway.Rules</c>), by rule name: matches, run-time errors, alerts lost by the webhook.</summary>
public static class RuleMetrics
{
    /// <summary>The meter's name, for the metrics exporter.</summary>
    public const string MeterName = "Gateway.Rules";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Matches = Meter.CreateCounter<long>("gateway.rules.matched", unit: "{request}",
        description: "Requests a rule matched, by rule");
    private static readonly Counter<long> Errors = Meter.CreateCounter<long>("gateway.rules.errors", unit: "{evaluation}",
        description: "Rule evaluations that failed at run time (the request went through unless the rule is fail-closed), by rule");
    private static readonly Counter<long> WebhookLost = Meter.CreateCounter<long>("gateway.alerts.webhook.lost", unit: "{alert}",
        description: "Alerts the webhook did not deliver: queue full, or every attempt failed, by reason");

    internal static void Match(string rule) => Matches.Add(1, new KeyValuePair<string, object?>("rule", rule));

    internal static void Error(string rule) => Errors.Add(1, new KeyValuePair<string, object?>("rule", rule));

    internal static void Lost(string reason) => WebhookLost.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
