namespace Gateway.Rules;

/// <summary>The <c>Alerts</c> section: how the rules' <c>alert</c> action is paced and where else it goes. Read at start.</summary>
public sealed class AlertSettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Alerts";

    /// <summary>Shortest time between two alerts of one rule, in seconds (default 60); the matches in between are counted into the next one.</summary>
    public double IntervalSeconds { get; set; } = 60;

    /// <summary>An HTTP endpoint that also receives each alert as JSON; none by default.</summary>
    public WebhookSettings? Webhook { get; set; }
}
