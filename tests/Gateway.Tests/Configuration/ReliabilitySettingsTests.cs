using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Configuration;

/// <summary>The settings added for faults and load: each bad value is refused at start with its path.</summary>
public sealed class ReliabilitySettingsTests
{
    private const string Proxy = """
        "ReverseProxy": {
          "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "{**catch-all}" } } },
          "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:1/" } } } }
        }
        """;

    [Fact]
    public void Create_BadReliabilitySettings_ReportsEachWithItsPath()
    {
        using var config = new TestConfig($$"""
            {
              {{Proxy}},
              "KernelProbe": { "Mode": "Off", "EventBufferBytes": 5000 },
              "Telemetry": { "JsonLines": { "Path": "%JSONL%" }, "LossReportIntervalSeconds": 0 },
              "Upstream": { "ConnectTimeoutSeconds": 0, "Retries": 3 },
              "Kestrel": { "Limits": { "KeepAliveTimeout": "soon", "MaxConcurrentConnections": -1, "Unknown": 1,
                                       "MinRequestBodyDataRate": { "BytesPerSecond": 0 } } }
            }
            """);

        var e = Assert.Throws<GatewayStartupException>(() => GatewayHost.Create(["--config", config.ConfigPath]));

        foreach (string path in new[]
                 {
                     "KernelProbe:EventBufferBytes", "Telemetry:LossReportIntervalSeconds", "Upstream:ConnectTimeoutSeconds", "Upstream:Retries",
                     "Kestrel:Limits:KeepAliveTimeout", "Kestrel:Limits:MaxConcurrentConnections", "Kestrel:Limits:Unknown", "Kestrel:Limits:MinRequestBodyDataRate",
                 })
        {
            Assert.Single(e.Errors, error => error.Contains($": {path}: ", StringComparison.Ordinal));
        }
        Assert.Contains("power of two", Assert.Single(e.Errors, x => x.Contains("EventBufferBytes", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_KestrelLimitsGiven_OverrideTheGatewayDefaults()
    {
        using var config = new TestConfig($$"""
            {
              {{Proxy}},
              "KernelProbe": { "Mode": "Off" },
              "Telemetry": { "JsonLines": { "Path": "%JSONL%" } },
              "Kestrel": { "Limits": { "RequestHeadersTimeout": "00:00:04", "MinRequestBodyDataRate": { "BytesPerSecond": 1000, "GracePeriod": "00:00:02" } } }
            }
            """);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);

        var limits = gateway.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value.Limits;

        Assert.Equal(TimeSpan.FromSeconds(4), limits.RequestHeadersTimeout);
        Assert.Equal(KestrelLimits.DefaultKeepAliveTimeout, limits.KeepAliveTimeout);
        Assert.Equal(KestrelLimits.DefaultMaxConcurrentConnections, limits.MaxConcurrentConnections);
        Assert.Equal(1000, limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(2), limits.MinRequestBodyDataRate.GracePeriod);
    }
}
