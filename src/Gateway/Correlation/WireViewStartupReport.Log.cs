using Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gateway.Correlation;

internal sealed partial class WireViewStartupReport
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.WireViewInactive, EventName = nameof(GatewayEventIds.WireViewInactive),
            Level = LogLevel.Warning,
            Message = "Wire view is off ({Reason}): requests are proxied and logged at L7 only, records say wire.observed=false")]
        public static partial void Inactive(ILogger logger, string reason);

        [LoggerMessage(EventId = GatewayEventIds.WireViewActive, EventName = nameof(GatewayEventIds.WireViewActive),
            Level = LogLevel.Information,
            Message = "Wire view on: socket filter on every listen and upstream socket, TC on {Hooks}, flow table of {FlowTableSize} entries")]
        public static partial void Active(ILogger logger, string hooks, uint flowTableSize);

        [LoggerMessage(EventId = GatewayEventIds.WireViewNoCrashRecovery, EventName = nameof(GatewayEventIds.WireViewNoCrashRecovery),
            Level = LogLevel.Warning, Message = "Wire view on, but {Problem}")]
        public static partial void NoCrashRecovery(ILogger logger, string problem);

        [LoggerMessage(EventId = GatewayEventIds.WireViewFailed, EventName = nameof(GatewayEventIds.WireViewFailed),
            Level = LogLevel.Warning,
            Message = "Wire view failed after start ({Reason}); affected connections are recorded with wire.observed=false (reported once)")]
        public static partial void Failed(ILogger logger, string reason);
    }
}
