using Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gateway.Forwarding;

internal sealed partial class ClusterVersionDefault
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.UpstreamVersionDefaulted, EventName = nameof(GatewayEventIds.UpstreamVersionDefaulted),
            Level = LogLevel.Information,
            Message = "Cluster '{ClusterId}' sets no HttpRequest.Version: HTTP/1.1 upstream, one request per connection at a time, so each request's wire counters are exact. Set HttpRequest.Version to 2 for gRPC or HTTP/2-only backends")]
        public static partial void VersionDefaulted(ILogger logger, string clusterId);
    }
}
