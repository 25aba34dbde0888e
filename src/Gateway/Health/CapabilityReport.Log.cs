using Microsoft.Extensions.Logging;

namespace Gateway.Health;

internal sealed partial class CapabilityReport
{
    private static partial class Log
    {
        [LoggerMessage(EventId = Telemetry.GatewayEventIds.Capabilities, Level = LogLevel.Information,
            Message = "Capabilities held: {Capabilities}; user {User}; the wire view's bpf, net_admin, perfmon: {Wire}")]
        public static partial void Held(ILogger logger, string capabilities, string user, string wire);
    }
}
