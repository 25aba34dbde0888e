using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry;

internal sealed partial class ServerSpanMiddleware
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.TelemetryFailed, EventName = nameof(GatewayEventIds.TelemetryFailed),
            Level = LogLevel.Error, Message = "Building the server span or access record failed; the request was served")]
        public static partial void TelemetryFailed(ILogger logger, Exception exception);
    }
}
