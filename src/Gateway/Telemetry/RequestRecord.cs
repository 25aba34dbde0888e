using Gateway.Configuration;
using Gateway.Telemetry.Records;

namespace Gateway.Telemetry;

/// <summary>
/// The per-request state of the access record, kept in <c>HttpContext.Features</c> from the
/// first middleware to the end of the response: the policy snapshot the request started with,
/// the pooled <see cref="TelemetryRecord"/> its spans and access record are built in, and
/// the request headers captured after routing.
/// </summary>
internal sealed class RequestRecord(PolicySnapshot snapshot, TelemetryRecord telemetry, SpanData server)
{
    /// <summary>The reloadable configuration in force when the request started.</summary>
    public PolicySnapshot Snapshot { get; } = snapshot;

    /// <summary>The route's policy; the default one until routing found a route.</summary>
    public RoutePolicy Policy { get; set; } = snapshot.Default;

    /// <summary>The record being built: the server span first, then one client span per upstream attempt.</summary>
    public TelemetryRecord Telemetry { get; } = telemetry;

    /// <summary>The server span.</summary>
    public SpanData Server { get; } = server;

    /// <summary>The client span of the upstream attempt in progress (or the last one), or null before any.</summary>
    public SpanData? Upstream { get; set; }

    /// <summary>Captured request headers (in the record's scratch list), or null until captured.</summary>
    public AttributeList? RequestHeaders { get; set; }

    /// <summary>Request header names as received (HTTP/1.x), or null.</summary>
    public string[]? HeaderOrder { get; set; }
}
