using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry;

internal sealed partial class TelemetryLossReporter
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.TelemetryDropped, EventName = nameof(GatewayEventIds.TelemetryDropped), Level = LogLevel.Warning,
            Message = "Telemetry dropped: {Dropped} item(s) since the last report ({Total} in all; {Detail}); metric gateway.telemetry.dropped. Requests are unaffected")]
        public static partial void TelemetryDropped(ILogger logger, long dropped, long total, string detail);

        [LoggerMessage(EventId = GatewayEventIds.TelemetryExportResumed, EventName = nameof(GatewayEventIds.TelemetryExportResumed), Level = LogLevel.Information,
            Message = "Telemetry export delivers again after {FailedExports} failed export call(s) in all")]
        public static partial void ExportResumed(ILogger logger, long failedExports);

        [LoggerMessage(EventId = GatewayEventIds.TelemetryFailed, EventName = "TelemetryLossCheckFailed", Level = LogLevel.Warning,
            Message = "Checking telemetry loss failed; the gateway keeps serving")]
        public static partial void CheckFailed(ILogger logger, Exception error);
    }
}
