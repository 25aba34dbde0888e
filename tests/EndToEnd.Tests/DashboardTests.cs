using System.Text.Json.Nodes;
using DashboardFixture;

namespace EndToEnd.Tests;

/// <summary>
/// The gateway exporting to the real Aspire Dashboard, started the one shared
/// way (<see cref="AspireDashboard"/> over scripts/dashboard.sh): both legs of
/// a request arrive as one trace, and the dashboard is gone after dispose.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class DashboardTests
{
    [SkippableFact]
    public async Task Request_ExportedToDashboard_TraceHasBothLegsWithWireFacts()
    {
        Ci.RequireRoot();
        await using Backend backend = await Backend.StartAsync();
        var dashboard = await AspireDashboard.StartAsync();
        int pid = dashboard.Pid;
        try
        {
            var env = new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = dashboard.OtlpGrpcUrl.ToString(),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
                ["OTEL_SERVICE_NAME"] = "dashboard-e2e",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
                ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
            };
            await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: env);
            string id = Guid.NewGuid().ToString("N");
            using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 41, tos: 0, mss: 1300);
            (int status, _) = await client.GetAsync("/dashboard/check", ("X-Test-Id", id));
            Assert.Equal(200, status);

            JsonNode traces = await dashboard.WaitForTelemetryAsync(
                "traces", t => Spans(t).Count(s => Attribute(s, "http.request.header.x-test-id")?.Contains(id) == true) == 1
                    && Spans(t).Count() >= 2, TimeSpan.FromSeconds(20));
            JsonNode server = Spans(traces).Single(s => Attribute(s, "http.request.header.x-test-id")?.Contains(id) == true);
            JsonNode upstream = Spans(traces).Single(s => (string?)s["parentSpanId"] == (string?)server["spanId"]);
            Assert.Equal((string?)server["traceId"], (string?)upstream["traceId"]);
            Assert.Equal("41", Attribute(server, "wire.ip.ttl"));
            Assert.Equal("true", Attribute(upstream, "wire.observed"));
            Assert.Equal(backend.Url.Port.ToString(), Attribute(upstream, "network.peer.port"));

            JsonNode resources = await dashboard.GetTelemetryAsync("resources");
            Assert.Contains(resources.AsArray(), r => (string?)r!["name"] == "dashboard-e2e");
        }
        finally
        {
            await dashboard.DisposeAsync();
        }
        Assert.False(Directory.Exists($"/proc/{pid}"), $"the dashboard (PID {pid}) still runs after dispose");
    }

    private static IEnumerable<JsonNode> Spans(JsonNode traces) =>
        traces["data"]!["resourceSpans"]!.AsArray()
            .SelectMany(r => r!["scopeSpans"]!.AsArray())
            .SelectMany(s => s!["spans"]!.AsArray())
            .Select(s => s!);

    private static string? Attribute(JsonNode span, string name) =>
        span["attributes"]?.AsArray().FirstOrDefault(a => (string?)a!["key"] == name)?["value"]?["stringValue"]?.GetValue<string>();
}
