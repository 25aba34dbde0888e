using Microsoft.Extensions.Logging;

namespace Gateway.Rules;

public sealed partial class AlertWebhook
{
    private static partial class Log
    {
        [LoggerMessage(EventId = RuleEventIds.WebhookFailed, Level = LogLevel.Warning,
            Message = "Alert webhook: the alert of rule {Rule} was not delivered after {Attempts} attempt(s): {Failure}; it is counted in gateway.alerts.webhook.lost")]
        public static partial void WebhookFailed(ILogger logger, string rule, int attempts, string failure);

        [LoggerMessage(EventId = RuleEventIds.WebhookQueueFull, Level = LogLevel.Warning,
            Message = "Alert webhook: {Dropped} alert(s) dropped since the last warning, its queue of {QueueSize} being full (the webhook is slow or down); counted in gateway.alerts.webhook.lost (reason=queue_full), said at most once per {IntervalSeconds} s")]
        public static partial void QueueFull(ILogger logger, long dropped, int queueSize, double intervalSeconds);
    }
}
