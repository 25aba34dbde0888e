using System.Diagnostics;
using Gateway.Hosting;
using Gateway.Sampling;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Sampling;

/// <summary>Sampling as the running gateway applies it: the access record and the spans agree.</summary>
public sealed class SamplingHostTests
{
    [Fact]
    public async Task RatioZero_OnlyErrorsRulesAndAnomaliesAreRecordedAndSpansFollowTheRecord()
    {
        await using var backend = await TestBackend.StartAsync();
        var marker = Guid.NewGuid().ToString("N")[..8];
        using var config = TestConfig.ForBackend(backend.Address,
            sections: """ "Sampling": { "Ratio": 0, "AlwaysKeep": [ { "PathPrefix": "/keep" } ] }, """,
            routes: """ "down": { "ClusterId": "down", "Match": { "Path": "/down/{**rest}" } }, """);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"],
            services => services.AddSingleton<IStartupFilter>(new AnomalyForPath("/anomaly")));
        await gateway.StartAsync();
        using var spans = new TraceSpanCollector();
        var url = new Uri(gateway.Addresses[0]);

        await RawHttp.GetAsync(url, $"/ordinary/{marker}", spans.TraceParent("ordinary"));
        await RawHttp.GetAsync(url, $"/down/{marker}", spans.TraceParent("down"));
        await RawHttp.GetAsync(url, $"/keep/{marker}", spans.TraceParent("keep"));
        await RawHttp.GetAsync(url, $"/anomaly/{marker}", spans.TraceParent("anomaly"));
        await RawHttp.GetAsync(url, $"/last/{marker}?x=1");
        await RawHttp.GetAsync(url, $"/keep/last/{marker}");

        await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("body").GetString()!.Contains($"/keep/last/{marker}", StringComparison.Ordinal));
        var bodies = JsonLines.ReadAll(config.JsonLinesPath).Where(r => r.GetProperty("event").GetString() == "gateway.access")
            .Select(r => r.GetProperty("body").GetString()!).ToList();
        Assert.Contains(bodies, b => b.StartsWith($"GET /down/{marker} 502", StringComparison.Ordinal));
        Assert.Contains(bodies, b => b.StartsWith($"GET /keep/{marker} 200", StringComparison.Ordinal));
        Assert.Contains(bodies, b => b.StartsWith($"GET /anomaly/{marker} 200", StringComparison.Ordinal));
        Assert.DoesNotContain(bodies, b => b.Contains($"/ordinary/{marker}", StringComparison.Ordinal));
        Assert.DoesNotContain(bodies, b => b.Contains($"/last/{marker}?", StringComparison.Ordinal));

        var servers = spans.Stopped.Where(a => a.Kind == ActivityKind.Server).ToDictionary(spans.Label);
        Assert.False(servers["ordinary"].Recorded);
        Assert.True(servers["down"].Recorded);
        Assert.True(servers["keep"].Recorded);
        Assert.True(servers["anomaly"].Recorded);
        var clients = spans.Stopped.Where(a => a.Kind == ActivityKind.Client).ToList();
        Assert.Equal(4, clients.Count);
        Assert.All(clients, client => Assert.Equal(servers[spans.Label(client)].Recorded, client.Recorded));
    }

    /// <summary>Stands in for the correlation layer: flags requests under a path as wire anomalies.</summary>
    private sealed class AnomalyForPath(string prefix) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Path.StartsWithSegments(prefix))
                {
                    context.Features.Set<IWireAnomalyFeature>(new WireAnomalyFeature { Anomaly = true });
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
