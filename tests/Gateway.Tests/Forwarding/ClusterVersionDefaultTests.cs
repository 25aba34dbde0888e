using System.Net;
using Gateway.Forwarding;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Tests.Forwarding;

public sealed class ClusterVersionDefaultTests
{
    [Fact]
    public async Task ConfigureCluster_VersionSet_KeepsWhatTheUserWrote()
    {
        var filter = new ClusterVersionDefault(NullLogger<ClusterVersionDefault>.Instance);
        var cluster = new ClusterConfig
        {
            ClusterId = "c",
            HttpRequest = new ForwarderRequestConfig { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = TimeSpan.FromSeconds(7) },
        };

        var configured = await filter.ConfigureClusterAsync(cluster, CancellationToken.None);

        Assert.Same(cluster, configured);
        Assert.Equal(HttpVersion.Version20, configured.HttpRequest!.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionExact, configured.HttpRequest.VersionPolicy);
    }

    [Fact]
    public async Task ConfigureCluster_NoVersion_Http11OrLowerKeepingTheOtherSettings()
    {
        var filter = new ClusterVersionDefault(NullLogger<ClusterVersionDefault>.Instance);
        var cluster = new ClusterConfig { ClusterId = "c", HttpRequest = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(7) } };

        var configured = await filter.ConfigureClusterAsync(cluster, CancellationToken.None);

        Assert.Equal(HttpVersion.Version11, configured.HttpRequest!.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionOrLower, configured.HttpRequest.VersionPolicy);
        Assert.Equal(TimeSpan.FromSeconds(7), configured.HttpRequest.ActivityTimeout);
        Assert.Equal(HttpVersion.Version11, (await filter.ConfigureClusterAsync(new ClusterConfig { ClusterId = "bare" }, CancellationToken.None)).HttpRequest!.Version);
    }
}
