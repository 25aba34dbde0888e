namespace Gateway.Configuration;

/// <summary>The <c>Upstream</c> section: limits of the gateway's connections to backends.</summary>
public sealed class UpstreamSettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Upstream";

    /// <summary>
    /// Seconds a connect to a backend may take before the attempt fails (a SYN that is
    /// never answered is sent again after 1, 3, 7, 15 s; 1 to 300). Applies to clusters
    /// created after a change. Default 15.
    /// </summary>
    public int ConnectTimeoutSeconds { get; set; } = 15;
}
