namespace Gateway.Configuration;

/// <summary>The <c>Upstream</c> section: limits of the gateway's connections to backends.</summary>
public sealed class UpstreamSettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Upstream";

    /// <summary>
    /// Seconds a connect to a backend may take before the attempt fails (1 to 300; an
    /// unanswered SYN is sent again, about once a second at first on current Linux, see
    /// net.ipv4.tcp_syn_linear_timeouts, then with doubling intervals). YARP answers the
    /// client 504. Applies to clusters created after a change. Default 15.
    /// </summary>
    public int ConnectTimeoutSeconds { get; set; } = 15;
}
