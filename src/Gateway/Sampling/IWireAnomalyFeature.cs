namespace Gateway.Sampling;

/// <summary>
/// The hook through which the correlation layer (or any middleware) says "the wire of this
/// request looked wrong": a request whose <see cref="Anomaly"/> is true when its response ends
/// is always recorded, whatever the sampling ratio. The request room puts one on every request's
/// <c>HttpContext.Features</c> (its <c>RequestRecord</c>) unless an earlier middleware set one, and
/// sets it itself when the request's wire facts show a retransmission, a reset or a wire event.
/// </summary>
/// <remarks>
/// It is an explicit flag on purpose: a connection the probe did not observe
/// (<c>wire.observed=false</c>) is not an anomaly, and neither is any single wire fact on its own;
/// what counts as one is the correlation layer's decision.
/// </remarks>
public interface IWireAnomalyFeature
{
    /// <summary>True when the wire facts of this request are anomalous; default false.</summary>
    bool Anomaly { get; set; }
}
