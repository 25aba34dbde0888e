using System.Text.Json;
using Gateway.Hosting;
using Gateway.Telemetry;
using Gateway.Tests.Support;
using OtlpReceiver;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// The access record's two forms (DESIGN.md, "Log records") as the running gateway writes them:
/// real Kestrel sockets, a real backend, and OTLP decoded by a receiver that speaks the protocol.
/// </summary>
public sealed class AccessRecordFormHostTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>What the core form keeps (SemanticConventions: the names made with AttributeName.Core).</summary>
    internal static readonly string[] CoreNames =
    [
        "http.request.method", "url.path", "http.route", "http.response.status_code", "gateway.request.duration_ms",
        "client.address", "error.type", "wire.observed", "gateway.route.id", "gateway.rule.matched", "gateway.rule.denied",
    ];

    private TestBackend _backend = null!;
    private OtlpTestReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _receiver = await OtlpTestReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task Auto_SpansAndLogsOverOtlp_OtlpLogIsCoreAndPointsAtTheSpan_JsonLineIsFull()
    {
        using var config = TestConfig.ForBackend(_backend.Address);
        await using var gateway = await StartAsync(config, ("Telemetry:JsonLines:Enabled", "true"));
        var marker = Guid.NewGuid().ToString("N");

        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), $"/core/{marker}?q=1", $"X-Test-Id: {marker}");

        var span = await _receiver.WaitForSpanAsync(s => s.Kind == OtlpSpanKind.Server && Equals(s.Attributes.GetValueOrDefault("url.path"), $"/core/{marker}"), Wait);
        var log = await _receiver.WaitForLogAsync(l => l.EventName == SemanticConventions.AccessEvent && l.SpanId == span.SpanId, Wait);
        Assert.Equal(span.TraceId, log.TraceId);
        Assert.Equal(1u, log.Flags & 0xFF);
        AssertCore(log.Attributes, span.Attributes);
        Assert.Equal($"/core/{marker}", log.Attributes["url.path"]);
        Assert.Equal(200L, log.Attributes["http.response.status_code"]);
        Assert.Equal("route1", log.Attributes["gateway.route.id"]);
        Assert.Equal(false, log.Attributes["wire.observed"]);
        Assert.StartsWith($"GET /core/{marker}?q=1 200 ", (string)log.Body!, StringComparison.Ordinal);

        // The JSON-lines file is the only copy on this machine: every attribute of the span.
        var line = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("span_id").GetString() == span.SpanId);
        AssertFull(line, span.Attributes);
        Assert.Equal("01", line.GetProperty("trace_flags").GetString());
    }

    [Fact]
    public async Task Auto_ParentNotSampled_NoSpanIsExportedAndTheOtlpLogIsFull()
    {
        using var config = TestConfig.ForBackend(_backend.Address);
        await using var gateway = await StartAsync(config);
        var marker = Guid.NewGuid().ToString("N");
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

        // A caller whose trace is not sampled: the span is not exported, so the record is the only copy.
        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), $"/unsampled/{marker}", $"X-Test-Id: {marker}",
            $"traceparent: 00-{traceId}-00f067aa0ba902b7-00");
        // A sampled request after it: once its span has arrived, the unsampled one would have too.
        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), $"/sampled/{marker}");

        var log = await _receiver.WaitForLogAsync(l => l.EventName == SemanticConventions.AccessEvent && l.TraceId == traceId, Wait);
        await _receiver.WaitForSpanAsync(s => Equals(s.Attributes.GetValueOrDefault("url.path"), $"/sampled/{marker}"), Wait);
        Assert.DoesNotContain(_receiver.Spans, s => s.TraceId == traceId);
        Assert.Equal(0u, log.Flags & 0xFF);
        Assert.Equal([marker], ((object?[])log.Attributes["http.request.header.x-test-id"]!).Cast<string>());
        Assert.Equal("127.0.0.1", log.Attributes["network.peer.address"]);
        Assert.Contains("server.port", log.Attributes.Keys);
        Assert.True(log.Attributes.Count > CoreNames.Length, string.Join(", ", log.Attributes.Keys));
    }

    [Fact]
    public async Task Auto_LogsWithoutTraces_OtlpLogIsFull()
    {
        using var config = TestConfig.ForBackend(_backend.Address);
        await using var gateway = await StartAsync(config, ("OTEL_TRACES_EXPORTER", "none"));
        var marker = Guid.NewGuid().ToString("N");

        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), $"/logs-only/{marker}", $"X-Test-Id: {marker}");

        var log = await _receiver.WaitForLogAsync(l => l.EventName == SemanticConventions.AccessEvent && Equals(l.Attributes.GetValueOrDefault("url.path"), $"/logs-only/{marker}"), Wait);
        Assert.Equal([marker], ((object?[])log.Attributes["http.request.header.x-test-id"]!).Cast<string>());
        Assert.Equal("127.0.0.1", log.Attributes["network.peer.address"]);
        Assert.Empty(_receiver.Spans);
    }

    [Fact]
    public async Task Core_Forced_JsonLineAndUnsampledOtlpLogAreCore()
    {
        using var config = TestConfig.ForBackend(_backend.Address);
        await using var gateway = await StartAsync(config, ("Telemetry:JsonLines:Enabled", "true"), ("Telemetry:AccessRecord", "Core"));
        var marker = Guid.NewGuid().ToString("N");
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), $"/forced-core/{marker}", $"X-Test-Id: {marker}",
            $"traceparent: 00-{traceId}-00f067aa0ba902b7-00");

        var log = await _receiver.WaitForLogAsync(l => l.EventName == SemanticConventions.AccessEvent && l.TraceId == traceId, Wait);
        Assert.All(log.Attributes.Keys, k => Assert.Contains(k, CoreNames));
        Assert.Equal($"/forced-core/{marker}", log.Attributes["url.path"]);
        var line = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("trace_id").GetString() == traceId);
        Assert.All(line.Attributes().EnumerateObject(), p => Assert.Contains(p.Name, CoreNames));
        Assert.Equal($"/forced-core/{marker}", line.Attributes().GetProperty("url.path").GetString());
        Assert.Equal("00", line.GetProperty("trace_flags").GetString());
    }

    [Fact]
    public async Task Full_Forced_OtlpLogBesideItsSpanIsFull()
    {
        using var config = TestConfig.ForBackend(_backend.Address);
        await using var gateway = await StartAsync(config, ("Telemetry:AccessRecord", "Full"));
        var marker = Guid.NewGuid().ToString("N");

        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), $"/forced-full/{marker}", $"X-Test-Id: {marker}");

        var span = await _receiver.WaitForSpanAsync(s => s.Kind == OtlpSpanKind.Server && Equals(s.Attributes.GetValueOrDefault("url.path"), $"/forced-full/{marker}"), Wait);
        var log = await _receiver.WaitForLogAsync(l => l.EventName == SemanticConventions.AccessEvent && l.SpanId == span.SpanId, Wait);
        Assert.Equal(span.Attributes.Keys.Order(), log.Attributes.Keys.Order());
        Assert.Equal([marker], ((object?[])log.Attributes["http.request.header.x-test-id"]!).Cast<string>());
    }

    // The core form: exactly the span's core attributes, with the span's values.
    private static void AssertCore(IReadOnlyDictionary<string, object?> log, IReadOnlyDictionary<string, object?> span)
    {
        var expected = span.Keys.Where(k => CoreNames.Contains(k)).Order().ToList();
        Assert.Contains("http.request.method", expected);
        Assert.Equal(expected, log.Keys.Order());
        foreach (var name in expected)
        {
            Assert.Equal(span[name], log[name]);
        }
    }

    // The full form: every attribute of the span, headers and connection included.
    private static void AssertFull(JsonElement line, IReadOnlyDictionary<string, object?> span)
    {
        var names = line.Attributes().EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(span.Keys.Order(), names);
        Assert.Contains("http.request.header.x-test-id", names);
    }

    private async Task<GatewayHost> StartAsync(TestConfig config, params (string Key, string Value)[] settings)
    {
        string[] args =
        [
            "--config", config.ConfigPath, "--urls", "http://127.0.0.1:0",
            $"--OTEL_EXPORTER_OTLP_ENDPOINT={_receiver.HttpEndpoint}",
            "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
            "--OTEL_BSP_SCHEDULE_DELAY=50",
            "--OTEL_BLRP_SCHEDULE_DELAY=50",
            .. settings.Select(s => $"--{s.Key}={s.Value}"),
        ];
        var gateway = GatewayHost.Create(args);
        await gateway.StartAsync();
        return gateway;
    }
}
