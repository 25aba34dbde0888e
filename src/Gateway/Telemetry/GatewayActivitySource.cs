using System.Diagnostics;

namespace Gateway.Telemetry;

/// <summary>The source of the gateway's server and client spans.</summary>
internal static class GatewayActivitySource
{
    /// <summary>The one instance; its name is <see cref="SemanticConventions.ActivitySourceName"/>.</summary>
    public static readonly ActivitySource Instance =
        new(SemanticConventions.ActivitySourceName, typeof(GatewayActivitySource).Assembly.GetName().Version?.ToString());
}
