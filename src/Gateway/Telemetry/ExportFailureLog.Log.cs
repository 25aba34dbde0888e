using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry;

internal sealed partial class ExportFailureLog
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.TelemetryExportFailed, EventName = nameof(GatewayEventIds.TelemetryExportFailed), Level = LogLevel.Warning,
            Message = "OTLP {Signal} export to {Endpoint} failed: {Reason}; {Items} item(s) not delivered after {Attempts} attempt(s){Held}")]
        public static partial void ExportFailed(ILogger logger, string signal, string endpoint, string reason, long items, int attempts, string held);

        [LoggerMessage(EventId = GatewayEventIds.TelemetryExportFailed, EventName = "TelemetryExportRejected", Level = LogLevel.Warning,
            Message = "OTLP {Signal} export to {Endpoint} was taken in part: {Reason}; {Items} item(s) rejected{Held}")]
        public static partial void ExportRejected(ILogger logger, string signal, string endpoint, string reason, long items, string held);

        [LoggerMessage(EventId = GatewayEventIds.TelemetryExportFailed, EventName = "TelemetryExportFailuresHeldBack", Level = LogLevel.Warning,
            Message = "OTLP {Signal} export: {Calls} more failure(s) ({Items} item(s)) since the last report, the last to {Endpoint}: {Reason}")]
        public static partial void FailuresHeldBack(ILogger logger, string signal, int calls, long items, string endpoint, string reason);
    }
}
