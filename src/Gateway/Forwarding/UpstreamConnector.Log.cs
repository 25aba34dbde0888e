using System.Net;
using Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gateway.Forwarding;

internal sealed partial class UpstreamConnector
{
    private static partial class Log
    {
        [LoggerMessage(EventId = GatewayEventIds.UpstreamConnected, EventName = nameof(GatewayEventIds.UpstreamConnected),
            Level = LogLevel.Debug, Message = "Upstream connection {Tuple} opened")]
        public static partial void Connected(ILogger logger, string tuple);

        [LoggerMessage(EventId = GatewayEventIds.UpstreamConnectAttemptFailed, EventName = nameof(GatewayEventIds.UpstreamConnectAttemptFailed),
            Level = LogLevel.Debug, Message = "Connecting to {Address} port {Port} failed: {Reason}")]
        public static partial void ConnectAttemptFailed(ILogger logger, IPAddress address, int port, string reason);
    }
}
