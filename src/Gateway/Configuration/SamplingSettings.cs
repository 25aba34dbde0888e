namespace Gateway.Configuration;

/// <summary>
/// The <c>Sampling</c> section: which requests get an access record and an exported server
/// span. Status &gt;= 500, a wire anomaly and a matching <see cref="AlwaysKeep"/> rule are always
/// kept; other requests are kept with probability <see cref="Ratio"/>. Applied again on every
/// valid reload.
/// </summary>
public sealed class SamplingSettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Sampling";

    /// <summary>Share of ordinary requests recorded, 0 to 1. Default 1 (every request).</summary>
    public double Ratio { get; set; } = 1.0;

    /// <summary>Rules whose matches are always recorded. Default none.</summary>
    public List<SamplingRule>? AlwaysKeep { get; set; }
}
