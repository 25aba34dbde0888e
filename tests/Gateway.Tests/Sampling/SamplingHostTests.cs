using Gateway.Hosting;
using Gateway.Sampling;
using Gateway.Telemetry.Records;
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
        var spans = new TraceSpanCollector();
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"],
            services =>
            {
                services.AddSingleton<IStartupFilter>(new AnomalyForPath("/anomaly"));
                services.AddSingleton<TelemetrySink>(spans);
            });
        await gateway.StartAsync();
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

        // Spans follow the record: the kept requests' server and client spans are exported, the dropped one's are not.
        var exported = await spans.WaitForAsync(s => s.Count(a => a.Kind == SpanKindCode.Server) >= 3 && s.Count(a => a.Kind == SpanKindCode.Client) >= 3);
        await Task.Delay(200);
        exported = spans.Exported;
        var servers = exported.Where(a => a.Kind == SpanKindCode.Server).ToDictionary(spans.Label);
        Assert.Equal(["anomaly", "down", "keep"], servers.Keys.Order());
        var clients = exported.Where(a => a.Kind == SpanKindCode.Client).ToList();
        Assert.Equal(["anomaly", "down", "keep"], clients.Select(spans.Label).Order());
        Assert.All(clients, client => Assert.Equal(servers[spans.Label(client)].SpanId, client.ParentSpanId));
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
                    context.Features.Set<IWireAnomalyFeature>(new AnomalyFlag { Anomaly = true });
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }

    /// <summary>A flag set by a middleware in front of the gateway's own.</summary>
    private sealed class AnomalyFlag : IWireAnomalyFeature
    {
        public bool Anomaly { get; set; }
    }
}
