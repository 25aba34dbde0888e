namespace Gateway.Sampling;

/// <summary>The default <see cref="IWireAnomalyFeature"/>: a plain flag.</summary>
public sealed class WireAnomalyFeature : IWireAnomalyFeature
{
    /// <inheritdoc />
    public bool Anomaly { get; set; }
}
