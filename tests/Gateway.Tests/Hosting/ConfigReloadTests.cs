using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Hosting;

/// <summary>Hot reload of the configuration file on a running gateway: valid changes apply, invalid ones are refused.</summary>
public sealed class ConfigReloadTests
{
    private static async Task<(GatewayHost Gateway, CollectingLoggerProvider Logs)> StartAsync(TestConfig config)
    {
        var logs = new CollectingLoggerProvider();
        var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"],
            services => services.AddSingleton<ILoggerProvider>(logs));
        await gateway.StartAsync();
        return (gateway, logs);
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited 10 s for {what}");
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task FileChange_Valid_AppliedByTheWatcherWithoutDroppingTheConnection()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        var (gateway, logs) = await StartAsync(config);
        await using var _ = gateway;
        using var connection = await KeepAliveConnection.OpenAsync(new Uri(gateway.Addresses[0]));
        var before = gateway.Policies.Current;

        var (first, _) = await connection.GetAsync("/reload-1", "X-Internal: visible");
        config.Rewrite(TestConfig.Json(backend.Address, """{ "Redact": [ "x-internal" ] }"""));
        await WaitUntil(() => !ReferenceEquals(before, gateway.Policies.Current), "the new policy");
        var (second, _) = await connection.GetAsync("/reload-2", "X-Internal: hidden-now");

        Assert.Equal(200, first);
        Assert.Equal(200, second);
        var one = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("body").GetString()!.Contains("/reload-1", StringComparison.Ordinal));
        var two = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("body").GetString()!.Contains("/reload-2", StringComparison.Ordinal));
        Assert.True(one.HasHeader("http.request.header.x-internal", "visible"));
        Assert.True(two.HasHeader("http.request.header.x-internal", "[REDACTED]"));
        Assert.Equal(connection.LocalPort, two.Attributes().GetProperty("network.peer.port").GetInt32());
        Assert.Contains(logs.Entries, e => e.EventName == "ConfigReloaded" && e.Message.Contains("HeaderLogging:Redact:0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_InvalidSetting_RefusedWithFileSettingAndReasonOldPolicyKeepsServing()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        var (gateway, logs) = await StartAsync(config);
        await using var _ = gateway;
        var before = gateway.Policies.Current;

        config.Rewrite(TestConfig.Json(backend.Address, """{ "MaxHeaders": -1, "Request": { "Mode": "Sometimes" } }"""));
        var outcome = gateway.ConfigFile.ReloadNow();

        Assert.False(outcome.Applied);
        Assert.Equal(2, outcome.Errors.Count);
        Assert.All(outcome.Errors, e => Assert.StartsWith($"config file {config.ConfigPath}: HeaderLogging:", e, StringComparison.Ordinal));
        Assert.Same(before, gateway.Policies.Current);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.EventName == "ConfigReloadRefused"
            && e.Message.Contains("HeaderLogging:MaxHeaders: -1 is out of range", StringComparison.Ordinal)
            && e.Message.Contains("keeps serving", StringComparison.Ordinal));
        var (_, response) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/still-serving");
        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"ReverseProxy\": ")]
    [InlineData("")]
    [InlineData("{ \"ReverseProxy\": { \"Routes\": { } } }")]
    public async Task Reload_BrokenOrRoutelessFile_RefusedAndRoutesKeepServing(string content)
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        var (gateway, logs) = await StartAsync(config);
        await using var _ = gateway;

        config.Rewrite(content);
        var outcome = gateway.ConfigFile.ReloadNow();
        await Task.Delay(600); // the watcher's own attempt (after its quiet time) must not change anything either

        Assert.False(outcome.Applied);
        Assert.Contains(config.ConfigPath, Assert.Single(outcome.Errors), StringComparison.Ordinal);
        var (_, response) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/routes-kept");
        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventName == "ConfigReloadRefused");
    }

    [Fact]
    public async Task Reload_RestartOnlySectionChanged_AppliedOthersAndSaysARestartIsNeeded()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        var (gateway, logs) = await StartAsync(config);
        await using var _ = gateway;

        config.Rewrite(TestConfig.Json(backend.Address, """{ "MaxHeaders": 3 }""").Replace("\"Mode\": \"Off\"", "\"Mode\": \"Auto\"", StringComparison.Ordinal));
        var outcome = gateway.ConfigFile.ReloadNow();

        Assert.True(outcome.Applied);
        Assert.Equal(3, gateway.Policies.Current.HeaderLogging.MaxHeaders);
        Assert.Contains(logs.Entries, e => e.EventName == "ConfigRestartRequired" && e.Message.StartsWith("KernelProbe changed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_RouteMetadataChanged_NewRoutePolicyApplies()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        var (gateway, _) = await StartAsync(config);
        await using var _ = gateway;

        config.Rewrite(TestConfig.Json(backend.Address, routes: """
            "quiet": { "ClusterId": "cluster1", "Match": { "Path": "/quiet/{**rest}" }, "Metadata": { "HeaderLogging.Request.Mode": "None" } },
            """));
        Assert.True(gateway.ConfigFile.ReloadNow().Applied);

        // YARP applies its part of the reload on its own: probe until the new route answers (bounded).
        string? routeId = null;
        for (var attempt = 0; attempt < 50 && routeId != "quiet"; attempt++)
        {
            await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), $"/quiet/probe-{attempt}", "X-Probe: 1");
            var record = await JsonLines.WaitForAsync(config.JsonLinesPath,
                r => r.GetProperty("body").GetString()!.Contains($"/quiet/probe-{attempt} ", StringComparison.Ordinal));
            routeId = record.Attributes().GetProperty("gateway.route.id").GetString();
            if (routeId == "quiet")
            {
                Assert.False(record.Attributes().TryGetProperty("http.request.header.x-probe", out var ignored));
            }
            else
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal("quiet", routeId);
    }
}
