using Gateway.Hosting;
using GrpcTestService;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Support;

/// <summary>
/// A real gRPC backend (h2c) behind an in-process gateway whose cluster asks for HTTP/2 and whose
/// listener speaks HTTP/2 with prior knowledge (Kestrel <c>Protocols</c>), all on real sockets.
/// </summary>
internal sealed class GrpcGateway : IAsyncDisposable
{
    private GrpcGateway(GrpcTestServer server, TestConfig config, GatewayHost host, TraceSpanCollector spans)
    {
        Server = server;
        Config = config;
        Host = host;
        Spans = spans;
    }

    public GrpcTestServer Server { get; }

    public TestConfig Config { get; }

    public GatewayHost Host { get; }

    public TraceSpanCollector Spans { get; }

    /// <summary>The gateway's h2c address.</summary>
    public string Address => Host.Addresses[0];

    /// <summary>The cluster settings of an HTTP/2 backend, as a user writes them.</summary>
    public const string Http2Cluster = """ "HttpRequest": { "Version": "2", "VersionPolicy": "RequestVersionExact" } """;

    /// <summary>The gateway's listener in the tests: HTTP/2 in clear text with prior knowledge.</summary>
    public const string H2cEndpoint = """ "h2c": { "Url": "http://127.0.0.1:0", "Protocols": "Http2" } """;

    /// <summary>Starts the backend and the gateway.</summary>
    /// <param name="endpoints">The gateway's Kestrel endpoints.</param>
    /// <param name="services">Registrations in front of the gateway's own (a test's wire view).</param>
    /// <param name="settings">Command-line settings over the file (<c>--KernelProbe:Mode=On</c>).</param>
    public static async Task<GrpcGateway> StartAsync(string endpoints = H2cEndpoint, Action<IServiceCollection>? services = null, string[]? settings = null)
    {
        var server = await GrpcTestServer.StartAsync();
        var config = new TestConfig(TestConfig.Json(server.Address,
            sections: $$""" "Kestrel": { "Endpoints": { {{endpoints}} } }, """,
            cluster: ", " + Http2Cluster));
        var spans = new TraceSpanCollector();
        var host = GatewayHost.Create(["--config", config.ConfigPath, .. settings ?? []], registrations =>
        {
            registrations.AddSingleton<global::Gateway.Telemetry.Records.TelemetrySink>(spans);
            services?.Invoke(registrations);
        });
        await host.StartAsync();
        return new GrpcGateway(server, config, host, spans);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Server.DisposeAsync();
        Config.Dispose();
    }
}
