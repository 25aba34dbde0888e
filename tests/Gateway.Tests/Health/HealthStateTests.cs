using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Correlation;
using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Health;

/// <summary>
/// The readiness states the other health tests do not reach: a wire view that degrades after start
/// (the real kernel probe, then an attach that fails), and a gateway whose listeners are not up yet.
/// </summary>
public sealed class HealthStateTests
{
    private const string Health = """ "Health": { "Urls": "http://127.0.0.1:0" }, """;

    [Theory]
    [InlineData("Auto", HttpStatusCode.OK)]
    [InlineData("On", HttpStatusCode.ServiceUnavailable)]
    public async Task Ready_WireViewFailsAfterStart_DegradedWithTheReason_FailsOnlyInModeOn(string mode, HttpStatusCode expected)
    {
        Assert.True(Environment.UserName == "root", "the kernel probe needs root (CI runs as root)");
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: Health);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0", $"--KernelProbe:Mode={mode}"]);
        await gateway.StartAsync();
        var view = Assert.IsType<KernelWireView>(gateway.Services.GetRequiredService<IWireView>());
        var (before, _) = await GetAsync(gateway);

        // A listen socket gone before the probe could attach to it: the kernel view's first failure after start.
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Dispose();
        view.OnListenSocketCreated(socket);
        var (status, body) = await GetAsync(gateway);

        Assert.Equal(HttpStatusCode.OK, before);
        Assert.Equal(expected, status);
        var wire = body.GetProperty("checks").GetProperty("wire_view");
        Assert.Equal("degraded", wire.GetProperty("status").GetString());
        Assert.Equal(mode != "On", wire.GetProperty("passed").GetBoolean());
        Assert.Contains("failed after start", wire.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains($"KernelProbe:Mode {mode}", wire.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // The proxy still proxies.
        var (_, proxied) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/after-degraded");
        Assert.StartsWith("HTTP/1.1 200", proxied, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_BeforeTheListenersAreUp_503Starting_ThenReady()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: Health);
        var gate = new StartGate();
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0", "--KernelProbe:Mode=Off"],
            services => services.AddSingleton<IHostedService>(gate));

        var start = gateway.StartAsync();
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var (starting, body) = await GetAsync(gateway);
        var (live, _) = await GetAsync(gateway, "/livez");
        gate.Release.SetResult();
        await start.WaitAsync(TimeSpan.FromSeconds(20));
        var (ready, _) = await GetAsync(gateway);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, starting);
        Assert.Equal("fail", body.GetProperty("status").GetString());
        var listeners = body.GetProperty("checks").GetProperty("listeners");
        Assert.Equal("starting", listeners.GetProperty("status").GetString());
        Assert.False(listeners.GetProperty("passed").GetBoolean());
        Assert.Equal("loaded", body.GetProperty("checks").GetProperty("configuration").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, live);
        Assert.Equal(HttpStatusCode.OK, ready);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(GatewayHost gateway, string path = "/readyz")
    {
        using var client = new HttpClient { BaseAddress = new Uri(gateway.HealthAddresses.First()) };
        using var response = await client.GetAsync(path);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, json);
    }

    /// <summary>Holds the host's start before any hosted service (and so the proxy's listeners) starts.</summary>
    private sealed class StartGate : IHostedLifecycleService
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task StartingAsync(CancellationToken cancellationToken)
        {
            Reached.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
