using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry;

internal sealed partial class TelemetryExportReport
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.TelemetryExportSettings, EventName = nameof(GatewayEventIds.TelemetryExportSettings), Level = LogLevel.Information,
            Message = "Telemetry export: {Settings}")]
        public static partial void ExportSettings(ILogger logger, string settings);

        [LoggerMessage(EventId = GatewayEventIds.TelemetryExportSettings, EventName = "TelemetryExportOff", Level = LogLevel.Information,
            Message = "Telemetry export: OTLP is off ({Reason}); records go to the embedded sinks as Telemetry configures them")]
        public static partial void ExportOff(ILogger logger, string reason);
    }
}
