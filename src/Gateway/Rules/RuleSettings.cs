namespace Gateway.Rules;

/// <summary>
/// One entry of the <c>Rules</c> section, named by its key (<c>"Rules": { "no-curl": { ... } }</c>).
/// Validated before binding (ConfigValidator) and compiled once per configuration.
/// </summary>
public sealed class RuleSettings
{
    /// <summary>The CEL condition over <c>attrs</c>, the request's attributes (docs/rules.md).</summary>
    public string? Condition { get; set; }

    /// <summary>Any of <c>tag</c>, <c>alert</c>, <c>deny</c>; at least one.</summary>
    public List<string>? Actions { get; set; }

    /// <summary>The status a <c>deny</c> answers with; default 403.</summary>
    public int? Status { get; set; }

    /// <summary>YARP route ids the rule applies to; default every request (also those no route matched).</summary>
    public List<string>? Routes { get; set; }

    /// <summary>When evaluating the condition fails at run time: false (default) lets the request through, true treats it as a match.</summary>
    public bool FailClosed { get; set; }

    /// <summary>Shortest time between two alerts of this rule, in seconds; default <c>Alerts:IntervalSeconds</c>.</summary>
    public double? AlertIntervalSeconds { get; set; }
}
