using Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gateway.Correlation;

internal sealed partial class WireAnomalyReporter
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.TelemetryFailed, EventName = "WireAnomalyReportFailed", Level = LogLevel.Warning,
            Message = "Writing a wire.anomaly record failed; the gateway keeps serving")]
        public static partial void ReportFailed(ILogger logger, Exception error);

        [LoggerMessage(EventId = GatewayEventIds.WireEventsDropped, EventName = nameof(GatewayEventIds.WireEventsDropped), Level = LogLevel.Warning,
            Message = "The probe's ring buffer was full: {Dropped} kernel event(s) lost since the last report ({Total} in all; metric gateway.probe.events.dropped); counters in records are unaffected")]
        public static partial void EventsDropped(ILogger logger, ulong dropped, ulong total);
    }
}
