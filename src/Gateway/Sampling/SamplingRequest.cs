using Gateway.Telemetry.Records;

namespace Gateway.Sampling;

/// <summary>
/// What the sampling decision looks at, once the response has ended (or, for a response still
/// leaving then, once its wire figures have settled). Values only, no part of the request's
/// context: a record that waits for its figures is decided after the context is gone.
/// </summary>
public readonly record struct SamplingRequest
{
    /// <summary>The request's trace id; the ratio decision is a function of it, so every gateway of a trace agrees.</summary>
    internal TraceId TraceId { get; init; }

    /// <summary>The YARP route id, or null when no route matched.</summary>
    public string? RouteId { get; init; }

    /// <summary>The route's own ratio (metadata <c>Sampling.Ratio</c>), or null for the global one.</summary>
    public double? RouteRatio { get; init; }

    /// <summary>Status sent to the client.</summary>
    public int Status { get; init; }

    /// <summary>
    /// The request failed although its status is below 500: a gRPC call whose <c>grpc-status</c> counts as an
    /// error for the server span (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS).
    /// </summary>
    public bool Failed { get; init; }

    /// <summary>The explicit anomaly flag of the request.</summary>
    public bool WireAnomaly { get; init; }

    /// <summary>A rule matched the request (the <c>Rules</c> section or a <c>Sampling:AlwaysKeep</c> entry): it is kept.</summary>
    public bool RuleMatched { get; init; }
}
