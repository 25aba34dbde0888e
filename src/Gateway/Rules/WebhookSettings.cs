namespace Gateway.Rules;

/// <summary><c>Alerts:Webhook</c>: each alert is POSTed as JSON, retried with backoff, from a bounded queue whose losses are counted.</summary>
public sealed class WebhookSettings
{
    /// <summary>The http or https URL to POST to.</summary>
    public string? Url { get; set; }

    /// <summary>Time limit of one attempt, in seconds (default 5).</summary>
    public double TimeoutSeconds { get; set; } = 5;

    /// <summary>Attempts per alert, the first included (default 4); between them 0.5 s, 1 s, 2 s...</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Alerts waiting to be sent (default 1000); beyond that new alerts are dropped and counted.</summary>
    public int QueueSize { get; set; } = 1000;
}
