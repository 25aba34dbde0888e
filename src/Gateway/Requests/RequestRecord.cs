using Gateway.Configuration;
using Gateway.Forwarding;
using Gateway.Sampling;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;

namespace Gateway.Requests;

/// <summary>
/// The per-request state of the access record, kept in <c>HttpContext.Features</c> from the
/// first middleware to the end of the response: the policy snapshot the request started with,
/// the pooled <see cref="TelemetryRecord"/> its spans and access record are built in, and
/// the request headers captured after routing.
/// </summary>
/// <remarks>
/// Pooled with its <see cref="TelemetryRecord"/> (<see cref="For"/>): nothing reads it once the
/// first middleware has returned, except the rules' last step where it waits for the response's
/// wire figures to settle (WaitingRecord), before the record is handed over. It is also the request's <see cref="IWireAnomalyFeature"/>
/// unless an earlier middleware set one, and its <see cref="IUpstreamRecordFeature"/>, through which
/// the upstream leg adds its client spans.
/// </remarks>
internal sealed class RequestRecord : IWireAnomalyFeature, IUpstreamRecordFeature
{
    private RequestRecord(TelemetryRecord telemetry) => Telemetry = telemetry;

    /// <summary>The reloadable configuration in force when the request started.</summary>
    public PolicySnapshot Snapshot { get; private set; } = null!;

    /// <summary>The route's policy; the default one until routing found a route.</summary>
    public RoutePolicy Policy { get; set; } = null!;

    /// <summary>The record being built: the server span first, then one client span per upstream attempt.</summary>
    public TelemetryRecord Telemetry { get; }

    /// <summary>The server span.</summary>
    public SpanData Server { get; private set; } = null!;

    /// <inheritdoc />
    public bool Anomaly { get; set; }

    /// <summary>The client span of the upstream attempt in progress (or the last one), or null before any.</summary>
    public SpanData? Upstream { get; set; }

    /// <summary>Captured request headers (in the record's scratch list), or null until captured.</summary>
    public AttributeList? RequestHeaders { get; set; }

    /// <summary>Request header names as received (HTTP/1.x), or null.</summary>
    public string[]? HeaderOrder { get; set; }

    /// <summary>What went wrong upstream, for the access record; null when forwarding succeeded (or did not start).</summary>
    public UpstreamOutcome? UpstreamOutcome { get; set; }

    /// <summary>What the rules decided so far; null when the snapshot has no rules.</summary>
    public Rules.RuleOutcome? Rules { get; set; }

    /// <summary>The rules' view of the request, made on first use and kept with the pooled record.</summary>
    public Requests.RuleAttributes? RuleInput { get; set; }

    /// <summary>The outcome object <see cref="Rules"/> points at while rules run, made on first use and reused with the pooled record.</summary>
    public Rules.RuleOutcome? PooledOutcome { get; set; }

    /// <summary>The request state of <paramref name="telemetry"/> (kept with it in the pool), started afresh.</summary>
    public static RequestRecord For(TelemetryRecord telemetry, PolicySnapshot snapshot, SpanData server, string[]? headerOrder)
    {
        var record = telemetry.Request as RequestRecord ?? new RequestRecord(telemetry);
        telemetry.Request = record;
        record.Snapshot = snapshot;
        record.Policy = snapshot.Default;
        record.Server = server;
        record.Upstream = null;
        record.RequestHeaders = null;
        record.HeaderOrder = headerOrder;
        record.UpstreamOutcome = null;
        record.Anomaly = false;
        record.Rules = null;
        return record;
    }
}
