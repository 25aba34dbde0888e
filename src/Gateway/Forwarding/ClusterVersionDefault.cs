using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Forwarding;

/// <summary>
/// Gives a cluster whose configuration says nothing about the upstream HTTP version the
/// gateway's default, HTTP/1.1; a cluster that sets <c>HttpRequest.Version</c> keeps what it set.
/// </summary>
/// <remarks>
/// YARP's own default is HTTP/2 with fallback. The gateway defaults to HTTP/1.1 because a
/// connection then carries one request at a time, so each request's share of the wire
/// counters (<c>wire.request.*</c>) is exact. Over HTTP/2 (gRPC, h2c-only backends) many
/// requests interleave on one connection: each is still joined to the connection that
/// carried it, but per-request deltas are left out. The reason is logged once per cluster.
/// </remarks>
internal sealed partial class ClusterVersionDefault(ILogger<ClusterVersionDefault> logger) : IProxyConfigFilter
{
    // Clusters already told about, so that a reload does not repeat the line.
    private readonly ConcurrentDictionary<string, byte> _told = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        var request = cluster.HttpRequest ?? ForwarderRequestConfig.Empty;
        if (request.Version is not null)
        {
            return ValueTask.FromResult(cluster);
        }

        if (_told.TryAdd(cluster.ClusterId, 0))
        {
            Log.VersionDefaulted(logger, cluster.ClusterId);
        }

        return ValueTask.FromResult(cluster with
        {
            HttpRequest = request with
            {
                Version = HttpVersion.Version11,
                VersionPolicy = request.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower,
            },
        });
    }

    /// <inheritdoc />
    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
