using System.Net;
using System.Text.Json;
using Gateway.Correlation;
using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Health;

/// <summary>
/// /livez and /readyz on the management address of a real gateway host (real Kestrel
/// sockets on 127.0.0.1), one state per test.
/// </summary>
public sealed class HealthEndpointTests
{
    private const string Health = """ "Health": { "Urls": "http://127.0.0.1:0" }, """;

    [Fact]
    public async Task Ready_ProbeOffInAuto_200WithWireViewOffAndTheReason()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: Health);
        await using var gateway = await StartAsync(config, "Auto", new DisabledWireView("test: the kernel refused the probe"));

        var (status, body) = await GetAsync(gateway, "/readyz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("pass", body.GetProperty("status").GetString());
        var wire = body.GetProperty("checks").GetProperty("wire_view");
        Assert.Equal("off", wire.GetProperty("status").GetString());
        Assert.True(wire.GetProperty("passed").GetBoolean());
        Assert.Contains("test: the kernel refused the probe", wire.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("KernelProbe:Mode Auto", wire.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("CapEff", wire.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("loaded", body.GetProperty("checks").GetProperty("configuration").GetProperty("status").GetString());
        var listeners = body.GetProperty("checks").GetProperty("listeners");
        Assert.Equal("up", listeners.GetProperty("status").GetString());
        Assert.Contains(gateway.Addresses[0], listeners.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("moving", body.GetProperty("checks").GetProperty("records").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_ModeOnWithoutWireView_503ButLive200()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: Health);
        await using var gateway = await StartAsync(config, "On", new DisabledWireView("test: no probe"));

        var (ready, body) = await GetAsync(gateway, "/readyz");
        var (live, _) = await GetAsync(gateway, "/livez");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
        Assert.Equal("fail", body.GetProperty("status").GetString());
        var wire = body.GetProperty("checks").GetProperty("wire_view");
        Assert.False(wire.GetProperty("passed").GetBoolean());
        Assert.Equal("off", wire.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, live);
    }

    [Fact]
    public async Task Ready_ModeOff_200WithWireViewOff()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: Health);
        await using var gateway = await StartAsync(config, "Off", wireView: null);

        var (status, body) = await GetAsync(gateway, "/readyz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("KernelProbe:Mode is Off", body.GetProperty("checks").GetProperty("wire_view").GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_WhileStopping_503Draining()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: Health);
        await using var gateway = await StartAsync(config, "Off", wireView: null);

        gateway.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var (status, body) = await GetAsync(gateway, "/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("draining", body.GetProperty("checks").GetProperty("listeners").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_AfterRefusedReload_StillReadyAndSaysSo()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: Health);
        await using var gateway = await StartAsync(config, "Off", wireView: null);

        config.Rewrite("{ not json");
        var outcome = gateway.ConfigFile.ReloadNow();
        var (status, body) = await GetAsync(gateway, "/readyz");

        Assert.False(outcome.Applied);
        Assert.Equal(HttpStatusCode.OK, status);
        var detail = body.GetProperty("checks").GetProperty("configuration").GetProperty("detail").GetString();
        Assert.Contains("last change refused", detail, StringComparison.Ordinal);
        Assert.Contains("previous configuration keeps serving", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probes_RouteForTheSamePath_CannotShadowThemAndLeaveNoRequestRecord()
    {
        await using var backend = await TestBackend.StartAsync();
        var routes = """ "shadow": { "ClusterId": "cluster1", "Match": { "Path": "/readyz" } }, """;
        using var config = TestConfig.ForBackend(backend.Address, sections: Health, routes: routes);
        var logs = new CollectingLoggerProvider();
        await using var gateway = await StartAsync(config, "Off", wireView: null, logs);

        for (var i = 0; i < 3; i++)
        {
            var (status, body) = await GetAsync(gateway, "/readyz");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("ready", body.GetProperty("probe").GetString());
        }

        // The proxy's own port still proxies /readyz to the backend, and that request is recorded.
        var (_, proxied) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/readyz");
        Assert.Contains("X-Backend: test", proxied, StringComparison.OrdinalIgnoreCase);
        var record = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("event").GetString() == "gateway.access");
        Assert.Equal("shadow", record.Attributes().GetProperty("gateway.route.id").GetString());
        await Task.Delay(300);
        var lines = File.ReadAllLines(config.JsonLinesPath);
        Assert.Single(lines, l => l.Contains("\"gateway.access\"", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Message.StartsWith("Health probe", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Probes_WithLogProbes_AreLogged()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address,
            sections: """ "Health": { "Urls": "http://127.0.0.1:0", "LogProbes": true }, """);
        var logs = new CollectingLoggerProvider();
        await using var gateway = await StartAsync(config, "Off", wireView: null, logs);

        await GetAsync(gateway, "/livez");

        Assert.Contains(logs.Entries, e => e.Message == "Health probe /livez -> 200 (pass)");
    }

    [Fact]
    public async Task Start_SaysWhichCapabilitiesItHolds()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        var logs = new CollectingLoggerProvider();
        await using var gateway = await StartAsync(config, "Off", wireView: null, logs);

        var line = Assert.Single(logs.Entries, e => e.Message.StartsWith("Capabilities held: ", StringComparison.Ordinal));
        var expected = Gateway.Health.ProcessCapabilities.Current().Describe();
        Assert.Contains(expected, line.Message, StringComparison.Ordinal);
        Assert.Empty(gateway.HealthAddresses);
    }

    private static async Task<GatewayHost> StartAsync(TestConfig config, string mode, IWireView? wireView, CollectingLoggerProvider? logs = null)
    {
        var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0", $"--KernelProbe:Mode={mode}"],
            services =>
            {
                if (wireView is not null)
                    services.AddSingleton(wireView);
                if (logs is not null)
                    services.AddSingleton<ILoggerProvider>(logs);
            });
        await gateway.StartAsync();
        return gateway;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(GatewayHost gateway, string path)
    {
        using var client = new HttpClient { BaseAddress = new Uri(gateway.HealthAddresses.First()) };
        using var response = await client.GetAsync(path);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, json);
    }
}
