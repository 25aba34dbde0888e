namespace Gateway.Rules;

/// <summary>
/// One alert of a rule: the <c>gateway.alert</c> log record and the webhook's JSON are made
/// from it. Values are the attributes the condition read, redacted as the record redacts them.
/// </summary>
public sealed record RuleAlert
{
    /// <summary>The rule's name.</summary>
    public required string Rule { get; init; }

    /// <summary>How many matches this alert stands for (1, or more when matches were held back by the rule's interval).</summary>
    public required long Count { get; init; }

    /// <summary>The values the condition read on the request that alerted; empty for an alert that only reports held-back matches.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Values { get; init; } = [];

    /// <summary>The status the request was denied with, when the rule denies.</summary>
    public int? DeniedStatus { get; init; }

    /// <summary>Set when the rule matched because evaluating it failed and it is fail-closed: the error.</summary>
    public string? Error { get; init; }

    /// <summary>When it was raised.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>The matching request's trace id (32 hex digits), set by the request room; null for a held-back report.</summary>
    public string? TraceId { get; init; }

    /// <summary>The matching request's server span id (16 hex digits).</summary>
    public string? SpanId { get; init; }

    /// <summary>The trace flags of that span.</summary>
    public byte TraceFlags { get; init; }
}
