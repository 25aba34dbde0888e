using OtlpReceiver;

namespace EndToEnd.Tests;

/// <summary>
/// The gateway's OTLP export, decoded by a receiver that speaks the real
/// protocol: the server span, the client span of the upstream leg and the
/// access log record carry the same facts and the same trace.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class OtlpExportTests : IAsyncLifetime
{
    private Backend backend = null!;
    private OtlpTestReceiver receiver = null!;

    public async Task InitializeAsync()
    {
        backend = await Backend.StartAsync();
        receiver = await OtlpTestReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await receiver.DisposeAsync();
        await backend.DisposeAsync();
    }

    [SkippableTheory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Request_WithOtlpEndpoint_ExportsCorrelatedSpansAndLog(string protocol)
    {
        Ci.RequireRoot();
        var env = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = (protocol == "grpc" ? receiver.GrpcEndpoint : receiver.HttpEndpoint).ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
            ["OTEL_SERVICE_NAME"] = "e2e-gateway",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
        };
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: env);
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 37, tos: 0x28, mss: 1200);
        (int status, string body) = await client.GetAsync("/otlp/check", ("X-Test-Id", id));
        Assert.Equal(200, status);
        int upstreamPort = System.Text.Json.Nodes.JsonNode.Parse(body)!["remotePort"]!.GetValue<int>();

        TimeSpan wait = TimeSpan.FromSeconds(20);
        ReceivedSpan server = await receiver.WaitForSpanAsync(s => s.Kind == OtlpSpanKind.Server && HasHeader(s.Attributes, id), wait);
        ReceivedSpan upstream = await receiver.WaitForSpanAsync(s => s.Kind == OtlpSpanKind.Client && s.ParentSpanId == server.SpanId, wait);
        // Beside its exported span the access record is in its core form (Telemetry:AccessRecord Auto): found by the span's ids.
        ReceivedLog log = await receiver.WaitForLogAsync(l => l.EventName == "gateway.access" && l.SpanId == server.SpanId, wait);

        string transport = protocol == "grpc" ? OtlpTransport.Grpc : OtlpTransport.Http;
        Assert.Equal(transport, server.Transport);
        Assert.Equal("e2e-gateway", server.ResourceAttributes["service.name"]);

        // Downstream facts on the server span; the log record keeps the core attributes, with the same values.
        Assert.Equal(true, server.Attributes["wire.observed"]);
        Assert.Equal(37L, server.Attributes["wire.ip.ttl"]);
        Assert.Equal(10L, server.Attributes["wire.ip.dscp"]);
        Assert.Equal(1200L, server.Attributes["wire.tcp.mss"]);
        Assert.Equal((long)client.LocalEndPoint.Port, server.Attributes["network.peer.port"]);
        Assert.Equal(server.TraceId, log.TraceId);
        Assert.Equal(server.SpanId, log.SpanId);
        foreach (string name in new[] { "http.request.method", "url.path", "http.response.status_code", "gateway.route.id", "wire.observed", "client.address" })
            Assert.Equal(server.Attributes[name], log.Attributes[name]);
        foreach (string name in new[] { "wire.ip.ttl", "wire.tcp.mss", "network.peer.port", "http.request.header.x-test-id" })
            Assert.False(log.Attributes.ContainsKey(name), $"{name} is on the core access record");

        // Upstream leg: the connection the backend saw, with its own wire facts.
        Assert.Equal(server.TraceId, upstream.TraceId);
        Assert.Equal((long)upstreamPort, upstream.Attributes["network.local.port"]);
        Assert.Equal((long)backend.Url.Port, upstream.Attributes["network.peer.port"]);
        Assert.Equal(true, upstream.Attributes["wire.observed"]);
        Assert.Equal(64L, upstream.Attributes["wire.ip.ttl"]);
        Assert.True((long)upstream.Attributes["wire.tcp.mss"]! > 0);
        Assert.True((long)upstream.Attributes["wire.conn.bytes_out"]! > 0);

        // With OTLP on, the embedded sink stays off unless asked for: records are serialized once.
        Assert.Empty(gateway.Records());
    }

    private static bool HasHeader(IReadOnlyDictionary<string, object?> attributes, string id) =>
        attributes.TryGetValue("http.request.header.x-test-id", out object? value) && value is object?[] values && values.Contains(id);
}
