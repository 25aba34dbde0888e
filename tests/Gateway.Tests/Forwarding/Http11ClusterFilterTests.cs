using System.Net;
using Gateway.Forwarding;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Tests.Forwarding;

public sealed class Http11ClusterFilterTests
{
    [Fact]
    public async Task ConfigureCluster_AnyCluster_ForwardsWithHttp11OrLower()
    {
        var filter = new Http11ClusterFilter(NullLogger<Http11ClusterFilter>.Instance);
        var cluster = new ClusterConfig
        {
            ClusterId = "c",
            HttpRequest = new ForwarderRequestConfig { Version = HttpVersion.Version20, ActivityTimeout = TimeSpan.FromSeconds(7) },
        };

        var configured = await filter.ConfigureClusterAsync(cluster, CancellationToken.None);

        Assert.Equal(HttpVersion.Version11, configured.HttpRequest!.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionOrLower, configured.HttpRequest.VersionPolicy);
        Assert.Equal(TimeSpan.FromSeconds(7), configured.HttpRequest.ActivityTimeout);
    }
}
