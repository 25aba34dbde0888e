using System.Net;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Forwarding;

/// <summary>
/// Makes every cluster talk HTTP/1.1 to its destinations.
/// </summary>
/// <remarks>
/// The join of a request to the upstream connection that carried it relies on the
/// connection's reads and writes happening on the request's own async flow. That holds
/// for HTTP/1.1, where a connection carries one request at a time; HTTP/2 multiplexes
/// many requests over one connection written by a shared background loop, so the exact
/// per-request join (and per-request wire counters) would be lost. YARP's default is
/// HTTP/2 with fallback, hence this filter.
/// </remarks>
internal sealed partial class Http11ClusterFilter(ILogger<Http11ClusterFilter> logger) : IProxyConfigFilter
{
    /// <inheritdoc />
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        var request = cluster.HttpRequest ?? ForwarderRequestConfig.Empty;
        if (request.Version is { } version && version != HttpVersion.Version11)
        {
            Log.VersionOverridden(logger, cluster.ClusterId, version.ToString());
        }

        return ValueTask.FromResult(cluster with
        {
            HttpRequest = request with
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            },
        });
    }

    /// <inheritdoc />
    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
