using Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gateway.Health;

internal sealed partial class HealthServer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.HealthListening, Level = LogLevel.Information,
            Message = "Health endpoints on {Addresses}: {LivePath} (liveness), {ReadyPath} (readiness)")]
        public static partial void Listening(ILogger logger, string addresses, string livePath, string readyPath);

        [LoggerMessage(EventId = GatewayEventIds.HealthProbe, Level = LogLevel.Information,
            Message = "Health probe {Path} -> {Status} ({Outcome})")]
        public static partial void Probe(ILogger logger, string path, int status, string outcome);
    }
}
