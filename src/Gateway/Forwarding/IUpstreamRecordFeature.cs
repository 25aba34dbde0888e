using Gateway.Telemetry.Records;

namespace Gateway.Forwarding;

/// <summary>
/// The request's record as the upstream leg writes into it: one client span per attempt, and what
/// went wrong. The request room (<c>Requests/RequestRecord</c>) puts one on every request's
/// <c>HttpContext.Features</c>; without one (telemetry off for the request), forwarding records nothing.
/// </summary>
internal interface IUpstreamRecordFeature
{
    /// <summary>The record being built: its spans, the server span first.</summary>
    TelemetryRecord Telemetry { get; }

    /// <summary>The request's server span, the parent of every client span.</summary>
    SpanData Server { get; }

    /// <summary>The client span of the upstream attempt in progress (or the last one), or null before any.</summary>
    SpanData? Upstream { get; set; }

    /// <summary>What went wrong upstream, for the access record; null when forwarding succeeded (or did not start).</summary>
    UpstreamOutcome? UpstreamOutcome { get; set; }
}
