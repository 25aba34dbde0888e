namespace Gateway.Rules;

/// <summary>The rules' log event ids: 400-499, the range kept for them beside the ranges of Telemetry/GatewayEventIds.cs.</summary>
public static class RuleEventIds
{
    /// <summary>A <c>gateway.alert</c> record.</summary>
    public const int Alert = 4;

    /// <summary>An alert could not be delivered to the webhook.</summary>
    public const int WebhookFailed = 400;

    /// <summary>Alerts were dropped because the webhook's queue was full (rate-limited).</summary>
    public const int WebhookQueueFull = 401;
}
