using Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gateway.Requests;

internal sealed partial class RequestMiddleware
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.TelemetryFailed, EventName = nameof(GatewayEventIds.TelemetryFailed),
            Level = LogLevel.Error, Message = "Building the server span or access record failed; the request was served")]
        public static partial void TelemetryFailed(ILogger logger, Exception exception);
    }
}
