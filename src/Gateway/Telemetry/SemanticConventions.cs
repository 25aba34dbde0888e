using Gateway.Telemetry.Records;

namespace Gateway.Telemetry;

/// <summary>
/// Every attribute, event and instrumentation name the gateway emits, in one place.
/// The names are the contract of DESIGN.md's attribute schema and docs/attributes.md: change them there too.
/// </summary>
/// <remarks>
/// An attribute name is an <see cref="AttributeName"/>: encoded once at start (its OTLP key and
/// its JSON property name), so that writing a record copies bytes. To add one: a field here,
/// <c>public static readonly AttributeName WireFooBar = AttributeName.Of("wire.foo.bar");</c>,
/// and a row in docs/attributes.md. Code that needs the string uses <c>.Name</c>. A name made with
/// <c>AttributeName.Core</c> is one the core form of the access record keeps (DESIGN.md, "Log
/// records"; the list is in docs/attributes.md too).
/// </remarks>
internal static class SemanticConventions
{
    /// <summary>The instrumentation scope of the gateway's spans (built by the gateway itself, with no ActivitySource behind them).</summary>
    public const string SpanScopeName = "Gateway";

    /// <summary>The service name used when <c>OTEL_SERVICE_NAME</c> is not set.</summary>
    public const string DefaultServiceName = "gateway";

    /// <summary>Event name of the per-request access record.</summary>
    public const string AccessEvent = "gateway.access";

    /// <summary>Event name of the record written when a connection closes.</summary>
    public const string ConnectionEvent = "wire.connection";

    /// <summary><c>http.request.method</c>.</summary>
    public static readonly AttributeName HttpRequestMethod = AttributeName.Core("http.request.method");

    /// <summary><c>url.scheme</c>.</summary>
    public static readonly AttributeName UrlScheme = AttributeName.Of("url.scheme");

    /// <summary><c>url.path</c>.</summary>
    public static readonly AttributeName UrlPath = AttributeName.Core("url.path");

    /// <summary><c>url.query</c> (without the leading <c>?</c>).</summary>
    public static readonly AttributeName UrlQuery = AttributeName.Of("url.query");

    /// <summary><c>http.route</c>: the route template that matched.</summary>
    public static readonly AttributeName HttpRoute = AttributeName.Core("http.route");

    /// <summary><c>http.response.status_code</c>.</summary>
    public static readonly AttributeName HttpResponseStatusCode = AttributeName.Core("http.response.status_code");

    /// <summary><c>network.protocol.version</c> (<c>1.1</c>, <c>2</c>, <c>3</c>).</summary>
    public static readonly AttributeName NetworkProtocolVersion = AttributeName.Of("network.protocol.version");

    /// <summary><c>user_agent.original</c>.</summary>
    public static readonly AttributeName UserAgentOriginal = AttributeName.Of("user_agent.original");

    /// <summary><c>rpc.system</c>: <c>grpc</c> for a gRPC call.</summary>
    public static readonly AttributeName RpcSystem = AttributeName.Of("rpc.system");

    /// <summary><c>rpc.service</c>: the full service name, e.g. <c>helloworld.Greeter</c>.</summary>
    public static readonly AttributeName RpcService = AttributeName.Of("rpc.service");

    /// <summary><c>rpc.method</c>: the method name, e.g. <c>SayHello</c>.</summary>
    public static readonly AttributeName RpcMethod = AttributeName.Of("rpc.method");

    /// <summary><c>rpc.grpc.status_code</c>: the call's gRPC status (0 OK ... 16 UNAUTHENTICATED).</summary>
    public static readonly AttributeName RpcGrpcStatusCode = AttributeName.Of("rpc.grpc.status_code");

    /// <summary><c>client.address</c>.</summary>
    public static readonly AttributeName ClientAddress = AttributeName.Core("client.address");

    /// <summary><c>client.port</c>.</summary>
    public static readonly AttributeName ClientPort = AttributeName.Of("client.port");

    /// <summary><c>server.address</c>.</summary>
    public static readonly AttributeName ServerAddress = AttributeName.Of("server.address");

    /// <summary><c>server.port</c>.</summary>
    public static readonly AttributeName ServerPort = AttributeName.Of("server.port");

    /// <summary><c>network.peer.address</c>.</summary>
    public static readonly AttributeName NetworkPeerAddress = AttributeName.Of("network.peer.address");

    /// <summary><c>network.peer.port</c>.</summary>
    public static readonly AttributeName NetworkPeerPort = AttributeName.Of("network.peer.port");

    /// <summary><c>network.local.address</c>.</summary>
    public static readonly AttributeName NetworkLocalAddress = AttributeName.Of("network.local.address");

    /// <summary><c>network.local.port</c>.</summary>
    public static readonly AttributeName NetworkLocalPort = AttributeName.Of("network.local.port");

    /// <summary><c>network.transport</c>; always <see cref="TransportTcp"/> here.</summary>
    public static readonly AttributeName NetworkTransport = AttributeName.Of("network.transport");

    /// <summary><c>network.type</c> (<c>ipv4</c>/<c>ipv6</c>).</summary>
    public static readonly AttributeName NetworkType = AttributeName.Of("network.type");

    /// <summary>The value of <see cref="NetworkTransport"/>.</summary>
    public const string TransportTcp = "tcp";

    /// <summary><c>error.type</c>.</summary>
    public static readonly AttributeName ErrorType = AttributeName.Core("error.type");

    /// <summary>Prefix of a captured request header; the lower-case header name follows.</summary>
    public const string HttpRequestHeaderPrefix = "http.request.header.";

    /// <summary>Prefix of a captured response header; the lower-case header name follows.</summary>
    public const string HttpResponseHeaderPrefix = "http.response.header.";

    /// <summary>What a redacted header value is replaced with.</summary>
    public const string RedactedValue = "[REDACTED]";

    /// <summary>What is appended to a header value cut at the length limit.</summary>
    public const string TruncatedSuffix = "…[truncated]";

    /// <summary><c>gateway.route.id</c>.</summary>
    public static readonly AttributeName GatewayRouteId = AttributeName.Core("gateway.route.id");

    /// <summary><c>gateway.cluster.id</c>.</summary>
    public static readonly AttributeName GatewayClusterId = AttributeName.Of("gateway.cluster.id");

    /// <summary><c>gateway.destination.id</c>.</summary>
    public static readonly AttributeName GatewayDestinationId = AttributeName.Of("gateway.destination.id");

    /// <summary>Request headers left out because of <c>HeaderLogging:MaxHeaders</c> (only when &gt; 0).</summary>
    public static readonly AttributeName GatewayRequestHeadersDropped = AttributeName.Of("gateway.request.headers_dropped");

    /// <summary>Response headers left out because of <c>HeaderLogging:MaxHeaders</c> (only when &gt; 0).</summary>
    public static readonly AttributeName GatewayResponseHeadersDropped = AttributeName.Of("gateway.response.headers_dropped");

    /// <summary>Request header names (lower-case) in the order received, names only: a client fingerprint.</summary>
    public static readonly AttributeName GatewayRequestHeaderOrder = AttributeName.Of("gateway.request.header_order");

    /// <summary>Header names left out of <see cref="GatewayRequestHeaderOrder"/> by <c>HeaderLogging:MaxHeaders</c> (only when &gt; 0).</summary>
    public static readonly AttributeName GatewayRequestHeaderOrderDropped = AttributeName.Of("gateway.request.header_order_dropped");

    /// <summary>Present when the request carried <c>Forwarded</c> or <c>X-Forwarded-For</c>: whether a trusted proxy sent it and it was used.</summary>
    public static readonly AttributeName GatewayForwardedTrusted = AttributeName.Of("gateway.forwarded.trusted");

    /// <summary>Present when a forwarding claim is contradicted: comma-separated reasons (<c>untrusted-peer</c>, <c>malformed</c>, <c>ttl-far</c>).</summary>
    public static readonly AttributeName GatewayForwardedMismatch = AttributeName.Of("gateway.forwarded.mismatch");

    /// <summary>The operating system whose default TCP stack sent the connection's SYN: linux, windows, apple or unknown.</summary>
    public static readonly AttributeName GatewayClientOsHint = AttributeName.Of("gateway.client.os_hint");

    /// <summary>Contradictions between what the client says and what its connection showed (ua_os, ua_tls, sni_host, xff_hops).</summary>
    public static readonly AttributeName GatewayClientClaimsMismatch = AttributeName.Of("gateway.client.claims_mismatch");

    /// <summary>Negotiated TLS version, e.g. <c>1.3</c> (semconv).</summary>
    public static readonly AttributeName TlsProtocolVersion = AttributeName.Of("tls.protocol.version");

    /// <summary>Negotiated cipher suite, IANA name (semconv).</summary>
    public static readonly AttributeName TlsCipher = AttributeName.Of("tls.cipher");

    /// <summary>SNI host name the client sent (semconv).</summary>
    public static readonly AttributeName TlsClientServerName = AttributeName.Of("tls.client.server_name");

    /// <summary>ALPN protocol negotiated (semconv).</summary>
    public static readonly AttributeName TlsNextProtocol = AttributeName.Of("tls.next_protocol");

    /// <summary>Whether the handshake resumed an earlier session (semconv).</summary>
    public static readonly AttributeName TlsResumed = AttributeName.Of("tls.resumed");

    /// <summary>JA4 fingerprint of the ClientHello (semconv).</summary>
    public static readonly AttributeName TlsClientJa4 = AttributeName.Of("tls.client.ja4");

    /// <summary>Names of the matched rules whose action is <c>tag</c> (string array).</summary>
    public static readonly AttributeName GatewayRuleMatched = AttributeName.Core("gateway.rule.matched");

    /// <summary>The rule that denied the request (string).</summary>
    public static readonly AttributeName GatewayRuleDenied = AttributeName.Core("gateway.rule.denied");

    /// <summary>On a <c>gateway.alert</c> record: the rule's name.</summary>
    public static readonly AttributeName GatewayAlertRule = AttributeName.Of("gateway.alert.rule");

    /// <summary>On a <c>gateway.alert</c> record: the matches it stands for.</summary>
    public static readonly AttributeName GatewayAlertCount = AttributeName.Of("gateway.alert.count");

    /// <summary>On a <c>gateway.alert</c> record: the status the request was denied with.</summary>
    public static readonly AttributeName GatewayAlertDeniedStatus = AttributeName.Of("gateway.alert.denied_status");

    /// <summary>On a <c>gateway.alert</c> record of a fail-closed rule: the evaluation error.</summary>
    public static readonly AttributeName GatewayAlertError = AttributeName.Of("gateway.alert.error");

    /// <summary>Time from the request's arrival to the end of the response, in milliseconds (access record only).</summary>
    public static readonly AttributeName GatewayRequestDurationMs = AttributeName.Core("gateway.request.duration_ms");

    /// <summary><c>wire.observed</c>.</summary>
    public static readonly AttributeName WireObserved = AttributeName.Core("wire.observed");

    /// <summary><c>wire.ip.ttl</c>.</summary>
    public static readonly AttributeName WireIpTtl = AttributeName.Of("wire.ip.ttl");

    /// <summary><c>wire.ip.dscp</c>.</summary>
    public static readonly AttributeName WireIpDscp = AttributeName.Of("wire.ip.dscp");

    /// <summary><c>wire.ip.ecn</c>.</summary>
    public static readonly AttributeName WireIpEcn = AttributeName.Of("wire.ip.ecn");

    /// <summary><c>wire.tcp.window</c>.</summary>
    public static readonly AttributeName WireTcpWindow = AttributeName.Of("wire.tcp.window");

    /// <summary><c>wire.tcp.mss</c>.</summary>
    public static readonly AttributeName WireTcpMss = AttributeName.Of("wire.tcp.mss");

    /// <summary><c>wire.tcp.wscale</c>.</summary>
    public static readonly AttributeName WireTcpWscale = AttributeName.Of("wire.tcp.wscale");

    /// <summary><c>wire.tcp.options</c>.</summary>
    public static readonly AttributeName WireTcpOptions = AttributeName.Of("wire.tcp.options");

    /// <summary><c>wire.conn.packets_in</c>.</summary>
    public static readonly AttributeName WireConnPacketsIn = AttributeName.Of("wire.conn.packets_in");

    /// <summary><c>wire.conn.packets_out</c>.</summary>
    public static readonly AttributeName WireConnPacketsOut = AttributeName.Of("wire.conn.packets_out");

    /// <summary><c>wire.conn.bytes_in</c>.</summary>
    public static readonly AttributeName WireConnBytesIn = AttributeName.Of("wire.conn.bytes_in");

    /// <summary><c>wire.conn.bytes_out</c>.</summary>
    public static readonly AttributeName WireConnBytesOut = AttributeName.Of("wire.conn.bytes_out");

    // Wire schema v2 (issue 3): handshake, life of the connection, per request, events.

    /// <summary>JA4T fingerprint <c>window_options_mss_wscale</c> of the peer's handshake segment (only with <c>KernelProbe:Ja4t</c>; FoxIO License 1.1).</summary>
    public static readonly AttributeName WireTcpJa4t = AttributeName.Of("wire.tcp.ja4t");

    /// <summary>IPv4 don't-fragment bit of the peer's handshake segment (absent for IPv6).</summary>
    public static readonly AttributeName WireIpDf = AttributeName.Of("wire.ip.df");

    /// <summary>Handshake RTT in microseconds, measured in the kernel.</summary>
    public static readonly AttributeName WireTcpHandshakeRttUs = AttributeName.Of("wire.tcp.handshake_rtt_us");

    /// <summary>Segments the gateway sent again on this connection so far.</summary>
    public static readonly AttributeName WireConnRetransmitsOut = AttributeName.Of("wire.conn.retransmits_out");

    /// <summary>Times the peer's TTL changed mid-connection.</summary>
    public static readonly AttributeName WireIpTtlChanges = AttributeName.Of("wire.ip.ttl_changes");

    /// <summary><c>peer</c> or <c>gateway</c>, when the connection was reset.</summary>
    public static readonly AttributeName WireConnResetBy = AttributeName.Of("wire.conn.reset_by");

    /// <summary><c>peer</c> or <c>gateway</c>: who sent the first FIN or RST (connection record).</summary>
    public static readonly AttributeName WireConnClosedBy = AttributeName.Of("wire.conn.closed_by");

    /// <summary>Times the peer's advertised window dropped to zero.</summary>
    public static readonly AttributeName WireConnZeroWindowIn = AttributeName.Of("wire.conn.zero_window_in");

    /// <summary>Times the gateway's advertised window dropped to zero.</summary>
    public static readonly AttributeName WireConnZeroWindowOut = AttributeName.Of("wire.conn.zero_window_out");

    /// <summary>First to latest segment of the connection, in milliseconds (connection record).</summary>
    public static readonly AttributeName WireConnDurationMs = AttributeName.Of("wire.conn.duration_ms");

    /// <summary>Segments received for this request.</summary>
    public static readonly AttributeName WireRequestPacketsIn = AttributeName.Of("wire.request.packets_in");

    /// <summary>Segments sent for this request.</summary>
    public static readonly AttributeName WireRequestPacketsOut = AttributeName.Of("wire.request.packets_out");

    /// <summary>Payload bytes received for this request.</summary>
    public static readonly AttributeName WireRequestBytesIn = AttributeName.Of("wire.request.bytes_in");

    /// <summary>Payload bytes sent for this request.</summary>
    public static readonly AttributeName WireRequestBytesOut = AttributeName.Of("wire.request.bytes_out");

    /// <summary>Segments sent again during this request.</summary>
    public static readonly AttributeName WireRequestRetransmitsOut = AttributeName.Of("wire.request.retransmits_out");

    /// <summary>Why the <c>wire.request.*</c> figures are left out (<c>multiplexed</c>, <c>overlap</c>, <c>unsettled</c>, <c>no_sequence</c>).</summary>
    public static readonly AttributeName WireRequestOmitted = AttributeName.Of("wire.request.omitted");

    /// <summary>Span event / anomaly attribute: <c>in</c> (from the peer) or <c>out</c> (from the gateway).</summary>
    public static readonly AttributeName WireEventDirection = AttributeName.Of("wire.event.direction");

    /// <summary>Span event / anomaly attribute: segments the event covered.</summary>
    public static readonly AttributeName WireEventSegments = AttributeName.Of("wire.event.segments");

    /// <summary>Span event / anomaly attribute: TCP sequence number of the segment.</summary>
    public static readonly AttributeName WireEventSeq = AttributeName.Of("wire.event.seq");

    /// <summary>Span event / anomaly attribute of a TTL change: the TTL before.</summary>
    public static readonly AttributeName WireEventPreviousTtl = AttributeName.Of("wire.event.previous_ttl");

    /// <summary>The anomaly record's kind (<c>reset</c>, <c>retransmit</c>, <c>ttl_change</c>, <c>zero_window</c>, <c>handshake_incomplete</c>).</summary>
    public static readonly AttributeName WireAnomalyKind = AttributeName.Of("wire.anomaly.kind");

    /// <summary>For <c>handshake_incomplete</c>: milliseconds since the SYN arrived.</summary>
    public static readonly AttributeName WireAnomalyHandshakeAgeMs = AttributeName.Of("wire.anomaly.handshake_age_ms");

    /// <summary>Requests a connection carried (connection record).</summary>
    public static readonly AttributeName GatewayConnectionRequests = AttributeName.Of("gateway.connection.requests");

    /// <summary>Event name of a rule's alert record.</summary>
    public const string AlertEvent = "gateway.alert";

    /// <summary>Event name of the record of a wire event with no request in flight.</summary>
    public const string AnomalyEvent = "wire.anomaly";

    /// <summary>The meter of the probe's and the wire view's metrics.</summary>
    public const string WireMeterName = "Gateway.Wire";

    /// <summary>The TLS room's meter (<c>gateway.tls.client_hellos</c>).</summary>
    public const string TlsMeterName = "Gateway.Tls";

    /// <summary>The meter of the telemetry pipelines' own health (what was exported, what was dropped).</summary>
    public const string TelemetryMeterName = "Gateway.Telemetry";

    /// <summary>Metric: items dropped, by <see cref="TelemetrySignal"/>, <see cref="TelemetryExporter"/> and <see cref="TelemetryReason"/>.</summary>
    public const string MetricTelemetryDropped = "gateway.telemetry.dropped";

    /// <summary>Metric: failed export calls, by signal and exporter.</summary>
    public const string MetricTelemetryExportFailures = "gateway.telemetry.export.failures";

    /// <summary>Metric: items exported successfully, by signal and exporter.</summary>
    public const string MetricTelemetryExported = "gateway.telemetry.exported";

    /// <summary>Metric attribute: <c>traces</c>, <c>logs</c> or <c>metrics</c>.</summary>
    public const string TelemetrySignal = "signal";

    /// <summary>Metric attribute: <c>otlp</c>, <c>jsonl</c> or <c>console</c>.</summary>
    public const string TelemetryExporter = "exporter";

    /// <summary>Metric attribute: <c>queue_full</c> or <c>export_failed</c>.</summary>
    public const string TelemetryReason = "reason";

    /// <summary>Access record: what went wrong upstream (<c>connection_refused</c>, <c>connect_timeout</c>, <c>connection_reset</c>, <c>response_timeout</c>, ...).</summary>
    public static readonly AttributeName GatewayUpstreamError = AttributeName.Of("gateway.upstream.error");

    /// <summary>Access record: the gateway's local port of the upstream connection (or failed attempt) of the request.</summary>
    public static readonly AttributeName GatewayUpstreamLocalPort = AttributeName.Of("gateway.upstream.local_port");

    /// <summary>Access record: segments the gateway sent on that upstream connection (SYNs, for a failed connect).</summary>
    public static readonly AttributeName GatewayUpstreamPacketsOut = AttributeName.Of("gateway.upstream.packets_out");

    /// <summary>Access record: segments the gateway received on that upstream connection (a RST, for a refused connect).</summary>
    public static readonly AttributeName GatewayUpstreamPacketsIn = AttributeName.Of("gateway.upstream.packets_in");

    /// <summary>Access record: segments the gateway sent again on that upstream connection (SYN retransmissions).</summary>
    public static readonly AttributeName GatewayUpstreamRetransmitsOut = AttributeName.Of("gateway.upstream.retransmits_out");

    /// <summary>Access record: <c>peer</c> or <c>gateway</c> when the upstream connection was reset.</summary>
    public static readonly AttributeName GatewayUpstreamResetBy = AttributeName.Of("gateway.upstream.reset_by");
}
