namespace Gateway.Sampling;

/// <summary>Why a request was recorded or not.</summary>
public enum SamplingDecision
{
    /// <summary>Dropped by the ratio.</summary>
    Dropped,

    /// <summary>Kept by the ratio.</summary>
    Ratio,

    /// <summary>Kept because the request failed: the status was 500 or above, or a gRPC call failed (<see cref="SamplingRequest.Failed"/>).</summary>
    ServerError,

    /// <summary>Kept because <see cref="IWireAnomalyFeature.Anomaly"/> was set.</summary>
    WireAnomaly,

    /// <summary>Kept because a rule matched (the <c>Rules</c> section or a <c>Sampling:AlwaysKeep</c> entry).</summary>
    Rule,
}
