using Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gateway.Forwarding;

internal sealed partial class Http11ClusterFilter
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.UpstreamVersionOverridden, EventName = nameof(GatewayEventIds.UpstreamVersionOverridden),
            Level = LogLevel.Warning,
            Message = "Cluster '{ClusterId}' asks for HTTP/{Version} upstream; the gateway uses HTTP/1.1 so that each request is joined to the connection that carried it")]
        public static partial void VersionOverridden(ILogger logger, string clusterId, string version);
    }
}
