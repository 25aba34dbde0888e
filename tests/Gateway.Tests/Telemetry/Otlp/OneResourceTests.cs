using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OtlpReceiver;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>
/// The gateway in process, exporting to the real OTLP test receiver: traces, logs and metrics arrive
/// under one and the same resource, with settings taken from the configuration file and the command
/// line (not only the environment), and the effective settings said once at start.
/// </summary>
public sealed class OneResourceTests
{
    private const string Secret = "one-resource-header-secret";

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Gateway_AllThreeSignals_CarryTheSameResource(string protocol)
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        await using var backend = await TestBackend.StartAsync();
        // OTEL_* as top-level keys of the file, and on the command line.
        using var config = TestConfig.ForBackend(backend.Address, sections: """
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=lab%20one,team=edge",
            "OTEL_METRIC_EXPORT_INTERVAL": "200",
            """);
        var logs = new CollectingLoggerProvider();
        var endpoint = protocol == "grpc" ? receiver.GrpcEndpoint : receiver.HttpEndpoint;
        await using var gateway = GatewayHost.Create(
            [
                "--config", config.ConfigPath, "--urls", "http://127.0.0.1:0",
                $"--OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}", $"--OTEL_EXPORTER_OTLP_PROTOCOL={protocol}",
                "--OTEL_SERVICE_NAME=one-resource", "--OTEL_BSP_SCHEDULE_DELAY=50", "--OTEL_BLRP_SCHEDULE_DELAY=50",
                $"--OTEL_EXPORTER_OTLP_METRICS_HEADERS=x-api-key={Secret}",
            ],
            services => services.AddSingleton<ILoggerProvider>(logs));
        await gateway.StartAsync();

        using var client = new HttpClient();
        var id = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(gateway.Addresses.First()), "/one/resource"));
        request.Headers.Add("X-Test-Id", id);
        using (var response = await client.SendAsync(request))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        var wait = TimeSpan.FromSeconds(15);
        var span = await receiver.WaitForSpanAsync(s => s.Kind == OtlpSpanKind.Server && Header(s.Attributes, id), wait);
        var log = await receiver.WaitForLogAsync(l => l.EventName == "gateway.access" && l.TraceId == span.TraceId, wait);
        var deadline = DateTime.UtcNow + wait;
        while (receiver.MetricResources.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var metrics = Assert.Single(receiver.MetricResources.Distinct(new SameAttributes()));
        Assert.Equal(span.ResourceAttributes, log.ResourceAttributes);
        Assert.Equal(span.ResourceAttributes, metrics);
        Assert.Equal("one-resource", span.ResourceAttributes["service.name"]);
        Assert.Equal("lab one", span.ResourceAttributes["deployment.environment"]);
        Assert.Equal("edge", span.ResourceAttributes["team"]);
        Assert.True(Guid.TryParse((string?)span.ResourceAttributes["service.instance.id"], out _));
        Assert.Equal((long)Environment.ProcessId, span.ResourceAttributes["process.pid"]);
        Assert.Equal(Environment.MachineName, span.ResourceAttributes["host.name"]);
        foreach (var name in new[] { "service.version", "telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version", "host.arch", "process.runtime.version" })
        {
            Assert.True(span.ResourceAttributes.ContainsKey(name), name);
        }

        // Said once at start, per signal, header values hidden.
        var settings = logs.Entries.Where(e => e.EventName == "TelemetryExportSettings").Select(e => e.Message).ToArray();
        Assert.Equal(3, settings.Length);
        Assert.Contains(settings, m => m.StartsWith($"Telemetry export: OTLP traces: {protocol} to ", StringComparison.Ordinal));
        Assert.Contains(settings, m => m.StartsWith($"Telemetry export: OTLP logs: {protocol} to ", StringComparison.Ordinal));
        Assert.Contains(settings, m => m.StartsWith($"Telemetry export: OTLP metrics: {protocol} to ", StringComparison.Ordinal)
                                       && m.Contains("headers: x-api-key=[hidden]", StringComparison.Ordinal)
                                       && m.Contains("every 200 ms", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Gateway_MetricsVariablesOnTheCommandLine_ReachTheWire()
    {
        await using var collector = await ScriptedCollector.StartAsync(ScriptedCollector.Http(200));
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        await using var gateway = GatewayHost.Create(
            [
                "--config", config.ConfigPath, "--urls", "http://127.0.0.1:0",
                $"--OTEL_EXPORTER_OTLP_METRICS_ENDPOINT={new Uri(collector.HttpEndpoint, "/custom/metrics")}",
                "--OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http/protobuf",
                $"--OTEL_EXPORTER_OTLP_METRICS_HEADERS=x-api-key={Secret}",
                "--OTEL_EXPORTER_OTLP_HEADERS=x-tenant=t1",
                "--OTEL_EXPORTER_OTLP_METRICS_COMPRESSION=gzip",
                "--OTEL_METRIC_EXPORT_INTERVAL=100",
            ]);
        await gateway.StartAsync();
        using (var client = new HttpClient())
        {
            // A request, so that the gateway's own meters have something to say (gateway.telemetry.exported).
            (await client.GetAsync(new Uri(new Uri(gateway.Addresses.First()), "/metrics/please"))).Dispose();
        }

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (collector.Requests.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var seen = Assert.IsType<ScriptedCollector.SeenRequest>(collector.Requests.FirstOrDefault());
        Assert.Equal("/custom/metrics", seen.Path);
        Assert.Equal(Secret, seen.Headers["x-api-key"]);
        Assert.Equal("t1", seen.Headers["x-tenant"]);
        Assert.Equal("gzip", seen.Headers["Content-Encoding"]);
        Assert.Equal("application/x-protobuf", seen.Headers["Content-Type"]);
    }

    private static bool Header(IReadOnlyDictionary<string, object?> attributes, string id) =>
        attributes.TryGetValue("http.request.header.x-test-id", out var value) && value is object?[] values && values.Contains(id);

    private sealed class SameAttributes : IEqualityComparer<IReadOnlyDictionary<string, object?>>
    {
        public bool Equals(IReadOnlyDictionary<string, object?>? x, IReadOnlyDictionary<string, object?>? y) =>
            x is not null && y is not null && x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var v) && Equals(v, p.Value));

        public int GetHashCode(IReadOnlyDictionary<string, object?> obj) => obj.Count;
    }
}
