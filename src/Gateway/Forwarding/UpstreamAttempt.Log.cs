using Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gateway.Forwarding;

internal sealed partial class UpstreamAttempt
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.TelemetryFailed, EventName = nameof(GatewayEventIds.TelemetryFailed),
            Level = LogLevel.Error, Message = "Building the upstream client span failed; the request was served")]
        public static partial void TelemetryFailed(ILogger logger, Exception exception);
    }
}
