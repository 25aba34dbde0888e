using Gateway.Telemetry.Records;

namespace Gateway.Telemetry;

/// <summary>
/// The encoded form of every attribute name of <see cref="SemanticConventions"/>, built once at
/// start, so that a record's writers copy each name instead of encoding it again.
/// </summary>
internal static class AttributeNames
{
    /// <summary><c>http.request.method</c>.</summary>
    public static readonly AttributeName HttpRequestMethod = AttributeName.Of(SemanticConventions.HttpRequestMethod);

    /// <summary><c>url.scheme</c>.</summary>
    public static readonly AttributeName UrlScheme = AttributeName.Of(SemanticConventions.UrlScheme);

    /// <summary><c>url.path</c>.</summary>
    public static readonly AttributeName UrlPath = AttributeName.Of(SemanticConventions.UrlPath);

    /// <summary><c>url.query</c>.</summary>
    public static readonly AttributeName UrlQuery = AttributeName.Of(SemanticConventions.UrlQuery);

    /// <summary><c>http.route</c>.</summary>
    public static readonly AttributeName HttpRoute = AttributeName.Of(SemanticConventions.HttpRoute);

    /// <summary><c>http.response.status_code</c>.</summary>
    public static readonly AttributeName HttpResponseStatusCode = AttributeName.Of(SemanticConventions.HttpResponseStatusCode);

    /// <summary><c>network.protocol.version</c>.</summary>
    public static readonly AttributeName NetworkProtocolVersion = AttributeName.Of(SemanticConventions.NetworkProtocolVersion);

    /// <summary><c>user_agent.original</c>.</summary>
    public static readonly AttributeName UserAgentOriginal = AttributeName.Of(SemanticConventions.UserAgentOriginal);

    /// <summary><c>client.address</c>.</summary>
    public static readonly AttributeName ClientAddress = AttributeName.Of(SemanticConventions.ClientAddress);

    /// <summary><c>client.port</c>.</summary>
    public static readonly AttributeName ClientPort = AttributeName.Of(SemanticConventions.ClientPort);

    /// <summary><c>server.address</c>.</summary>
    public static readonly AttributeName ServerAddress = AttributeName.Of(SemanticConventions.ServerAddress);

    /// <summary><c>server.port</c>.</summary>
    public static readonly AttributeName ServerPort = AttributeName.Of(SemanticConventions.ServerPort);

    /// <summary><c>network.peer.address</c>.</summary>
    public static readonly AttributeName NetworkPeerAddress = AttributeName.Of(SemanticConventions.NetworkPeerAddress);

    /// <summary><c>network.peer.port</c>.</summary>
    public static readonly AttributeName NetworkPeerPort = AttributeName.Of(SemanticConventions.NetworkPeerPort);

    /// <summary><c>network.local.address</c>.</summary>
    public static readonly AttributeName NetworkLocalAddress = AttributeName.Of(SemanticConventions.NetworkLocalAddress);

    /// <summary><c>network.local.port</c>.</summary>
    public static readonly AttributeName NetworkLocalPort = AttributeName.Of(SemanticConventions.NetworkLocalPort);

    /// <summary><c>network.transport</c>.</summary>
    public static readonly AttributeName NetworkTransport = AttributeName.Of(SemanticConventions.NetworkTransport);

    /// <summary><c>network.type</c>.</summary>
    public static readonly AttributeName NetworkType = AttributeName.Of(SemanticConventions.NetworkType);

    /// <summary><c>error.type</c>.</summary>
    public static readonly AttributeName ErrorType = AttributeName.Of(SemanticConventions.ErrorType);

    /// <summary><c>gateway.route.id</c>.</summary>
    public static readonly AttributeName GatewayRouteId = AttributeName.Of(SemanticConventions.GatewayRouteId);

    /// <summary><c>gateway.cluster.id</c>.</summary>
    public static readonly AttributeName GatewayClusterId = AttributeName.Of(SemanticConventions.GatewayClusterId);

    /// <summary><c>gateway.destination.id</c>.</summary>
    public static readonly AttributeName GatewayDestinationId = AttributeName.Of(SemanticConventions.GatewayDestinationId);

    /// <summary><c>gateway.request.headers_dropped</c>.</summary>
    public static readonly AttributeName GatewayRequestHeadersDropped = AttributeName.Of(SemanticConventions.GatewayRequestHeadersDropped);

    /// <summary><c>gateway.response.headers_dropped</c>.</summary>
    public static readonly AttributeName GatewayResponseHeadersDropped = AttributeName.Of(SemanticConventions.GatewayResponseHeadersDropped);

    /// <summary><c>gateway.request.header_order</c>.</summary>
    public static readonly AttributeName GatewayRequestHeaderOrder = AttributeName.Of(SemanticConventions.GatewayRequestHeaderOrder);

    /// <summary><c>gateway.request.header_order_dropped</c>.</summary>
    public static readonly AttributeName GatewayRequestHeaderOrderDropped = AttributeName.Of(SemanticConventions.GatewayRequestHeaderOrderDropped);

    /// <summary><c>gateway.forwarded.trusted</c>.</summary>
    public static readonly AttributeName GatewayForwardedTrusted = AttributeName.Of(SemanticConventions.GatewayForwardedTrusted);

    /// <summary><c>gateway.forwarded.mismatch</c>.</summary>
    public static readonly AttributeName GatewayForwardedMismatch = AttributeName.Of(SemanticConventions.GatewayForwardedMismatch);

    /// <summary><c>gateway.request.duration_ms</c>.</summary>
    public static readonly AttributeName GatewayRequestDurationMs = AttributeName.Of(SemanticConventions.GatewayRequestDurationMs);

    /// <summary><c>wire.observed</c>.</summary>
    public static readonly AttributeName WireObserved = AttributeName.Of(SemanticConventions.WireObserved);

    /// <summary><c>wire.ip.ttl</c>.</summary>
    public static readonly AttributeName WireIpTtl = AttributeName.Of(SemanticConventions.WireIpTtl);

    /// <summary><c>wire.ip.dscp</c>.</summary>
    public static readonly AttributeName WireIpDscp = AttributeName.Of(SemanticConventions.WireIpDscp);

    /// <summary><c>wire.ip.ecn</c>.</summary>
    public static readonly AttributeName WireIpEcn = AttributeName.Of(SemanticConventions.WireIpEcn);

    /// <summary><c>wire.tcp.window</c>.</summary>
    public static readonly AttributeName WireTcpWindow = AttributeName.Of(SemanticConventions.WireTcpWindow);

    /// <summary><c>wire.tcp.mss</c>.</summary>
    public static readonly AttributeName WireTcpMss = AttributeName.Of(SemanticConventions.WireTcpMss);

    /// <summary><c>wire.tcp.wscale</c>.</summary>
    public static readonly AttributeName WireTcpWscale = AttributeName.Of(SemanticConventions.WireTcpWscale);

    /// <summary><c>wire.tcp.options</c>.</summary>
    public static readonly AttributeName WireTcpOptions = AttributeName.Of(SemanticConventions.WireTcpOptions);

    /// <summary><c>wire.conn.packets_in</c>.</summary>
    public static readonly AttributeName WireConnPacketsIn = AttributeName.Of(SemanticConventions.WireConnPacketsIn);

    /// <summary><c>wire.conn.packets_out</c>.</summary>
    public static readonly AttributeName WireConnPacketsOut = AttributeName.Of(SemanticConventions.WireConnPacketsOut);

    /// <summary><c>wire.conn.bytes_in</c>.</summary>
    public static readonly AttributeName WireConnBytesIn = AttributeName.Of(SemanticConventions.WireConnBytesIn);

    /// <summary><c>wire.conn.bytes_out</c>.</summary>
    public static readonly AttributeName WireConnBytesOut = AttributeName.Of(SemanticConventions.WireConnBytesOut);

    /// <summary><c>wire.tcp.ja4t</c>.</summary>
    public static readonly AttributeName WireTcpJa4t = AttributeName.Of(SemanticConventions.WireTcpJa4t);

    /// <summary><c>wire.ip.df</c>.</summary>
    public static readonly AttributeName WireIpDf = AttributeName.Of(SemanticConventions.WireIpDf);

    /// <summary><c>wire.tcp.handshake_rtt_us</c>.</summary>
    public static readonly AttributeName WireTcpHandshakeRttUs = AttributeName.Of(SemanticConventions.WireTcpHandshakeRttUs);

    /// <summary><c>wire.conn.retransmits_out</c>.</summary>
    public static readonly AttributeName WireConnRetransmitsOut = AttributeName.Of(SemanticConventions.WireConnRetransmitsOut);

    /// <summary><c>wire.ip.ttl_changes</c>.</summary>
    public static readonly AttributeName WireIpTtlChanges = AttributeName.Of(SemanticConventions.WireIpTtlChanges);

    /// <summary><c>wire.conn.reset_by</c>.</summary>
    public static readonly AttributeName WireConnResetBy = AttributeName.Of(SemanticConventions.WireConnResetBy);

    /// <summary><c>wire.conn.closed_by</c>.</summary>
    public static readonly AttributeName WireConnClosedBy = AttributeName.Of(SemanticConventions.WireConnClosedBy);

    /// <summary><c>wire.conn.zero_window_in</c>.</summary>
    public static readonly AttributeName WireConnZeroWindowIn = AttributeName.Of(SemanticConventions.WireConnZeroWindowIn);

    /// <summary><c>wire.conn.zero_window_out</c>.</summary>
    public static readonly AttributeName WireConnZeroWindowOut = AttributeName.Of(SemanticConventions.WireConnZeroWindowOut);

    /// <summary><c>wire.conn.duration_ms</c>.</summary>
    public static readonly AttributeName WireConnDurationMs = AttributeName.Of(SemanticConventions.WireConnDurationMs);

    /// <summary><c>wire.request.packets_in</c>.</summary>
    public static readonly AttributeName WireRequestPacketsIn = AttributeName.Of(SemanticConventions.WireRequestPacketsIn);

    /// <summary><c>wire.request.packets_out</c>.</summary>
    public static readonly AttributeName WireRequestPacketsOut = AttributeName.Of(SemanticConventions.WireRequestPacketsOut);

    /// <summary><c>wire.request.bytes_in</c>.</summary>
    public static readonly AttributeName WireRequestBytesIn = AttributeName.Of(SemanticConventions.WireRequestBytesIn);

    /// <summary><c>wire.request.bytes_out</c>.</summary>
    public static readonly AttributeName WireRequestBytesOut = AttributeName.Of(SemanticConventions.WireRequestBytesOut);

    /// <summary><c>wire.request.retransmits_out</c>.</summary>
    public static readonly AttributeName WireRequestRetransmitsOut = AttributeName.Of(SemanticConventions.WireRequestRetransmitsOut);

    /// <summary><c>wire.event.direction</c>.</summary>
    public static readonly AttributeName WireEventDirection = AttributeName.Of(SemanticConventions.WireEventDirection);

    /// <summary><c>wire.event.segments</c>.</summary>
    public static readonly AttributeName WireEventSegments = AttributeName.Of(SemanticConventions.WireEventSegments);

    /// <summary><c>wire.event.seq</c>.</summary>
    public static readonly AttributeName WireEventSeq = AttributeName.Of(SemanticConventions.WireEventSeq);

    /// <summary><c>wire.event.previous_ttl</c>.</summary>
    public static readonly AttributeName WireEventPreviousTtl = AttributeName.Of(SemanticConventions.WireEventPreviousTtl);

    /// <summary><c>wire.anomaly.kind</c>.</summary>
    public static readonly AttributeName WireAnomalyKind = AttributeName.Of(SemanticConventions.WireAnomalyKind);

    /// <summary><c>wire.anomaly.handshake_age_ms</c>.</summary>
    public static readonly AttributeName WireAnomalyHandshakeAgeMs = AttributeName.Of(SemanticConventions.WireAnomalyHandshakeAgeMs);

    /// <summary><c>gateway.connection.requests</c>.</summary>
    public static readonly AttributeName GatewayConnectionRequests = AttributeName.Of(SemanticConventions.GatewayConnectionRequests);

    /// <summary><c>gateway.upstream.error</c>.</summary>
    public static readonly AttributeName GatewayUpstreamError = AttributeName.Of(SemanticConventions.GatewayUpstreamError);

    /// <summary><c>gateway.upstream.local_port</c>.</summary>
    public static readonly AttributeName GatewayUpstreamLocalPort = AttributeName.Of(SemanticConventions.GatewayUpstreamLocalPort);

    /// <summary><c>gateway.upstream.packets_out</c>.</summary>
    public static readonly AttributeName GatewayUpstreamPacketsOut = AttributeName.Of(SemanticConventions.GatewayUpstreamPacketsOut);

    /// <summary><c>gateway.upstream.packets_in</c>.</summary>
    public static readonly AttributeName GatewayUpstreamPacketsIn = AttributeName.Of(SemanticConventions.GatewayUpstreamPacketsIn);

    /// <summary><c>gateway.upstream.retransmits_out</c>.</summary>
    public static readonly AttributeName GatewayUpstreamRetransmitsOut = AttributeName.Of(SemanticConventions.GatewayUpstreamRetransmitsOut);

    /// <summary><c>gateway.upstream.reset_by</c>.</summary>
    public static readonly AttributeName GatewayUpstreamResetBy = AttributeName.Of(SemanticConventions.GatewayUpstreamResetBy);
}
