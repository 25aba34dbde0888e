using Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gateway.Requests;

internal sealed partial class ConnectionRecordMiddleware
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.TelemetryFailed, EventName = nameof(GatewayEventIds.TelemetryFailed),
            Level = LogLevel.Error, Message = "Writing the wire.connection record failed")]
        public static partial void TelemetryFailed(ILogger logger, Exception exception);
    }
}
