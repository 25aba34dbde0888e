using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using OtlpReceiverMode = OtlpReceiver.OtlpReceiverMode;
using OtlpSignal = OtlpReceiver.OtlpSignal;
using OtlpTestReceiver = OtlpReceiver.OtlpTestReceiver;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>The transport against the real OTLP test receiver (Kestrel, Google.Protobuf decoding), over both protocols.</summary>
public sealed class OtlpTransportTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    // Scheduling noise allowed on top of the export timeout when a test checks that a call kept to it.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(2);

    private OtlpTestReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await OtlpTestReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Theory]
    [InlineData("grpc", "none")]
    [InlineData("grpc", "gzip")]
    [InlineData("http/protobuf", "none")]
    [InlineData("http/protobuf", "gzip")]
    public async Task SendAsync_TraceRequest_ReceiverDecodesTheSpan(string protocol, string compression)
    {
        using var transport = Transport(TelemetrySignal.Traces, protocol, ("OTEL_EXPORTER_OTLP_COMPRESSION", compression));
        var name = $"span {protocol} {compression}";

        var result = await transport.SendAsync(OtlpTestRequests.Trace(name), CancellationToken.None);

        Assert.Equal(new OtlpSendResult(true, 0, false, 1, null), result);
        var span = await _receiver.WaitForSpanAsync(s => s.Name == name, Wait);
        Assert.Equal("GET", span.Attributes["http.request.method"]);
        Assert.Equal(protocol == "grpc" ? OtlpReceiver.OtlpTransport.Grpc : OtlpReceiver.OtlpTransport.Http, span.Transport);
    }

    [Theory]
    [InlineData("grpc", "none")]
    [InlineData("grpc", "gzip")]
    [InlineData("http/protobuf", "none")]
    [InlineData("http/protobuf", "gzip")]
    public async Task SendAsync_LogsRequest_ReceiverDecodesTheRecord(string protocol, string compression)
    {
        using var transport = Transport(TelemetrySignal.Logs, protocol, ("OTEL_EXPORTER_OTLP_COMPRESSION", compression));
        var eventName = $"gateway.test.{protocol}.{compression}";

        var result = await transport.SendAsync(OtlpTestRequests.Log(eventName), CancellationToken.None);

        Assert.True(result.Success, result.Error);
        var log = await _receiver.WaitForLogAsync(l => l.EventName == eventName, Wait);
        Assert.Equal("GET / 200", log.Body);
    }

    [Fact]
    public async Task SendAsync_SeveralCalls_ShareTheTransport()
    {
        using var transport = Transport(TelemetrySignal.Traces, "grpc");

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => transport.SendAsync(OtlpTestRequests.Trace("many " + i), CancellationToken.None)));

        Assert.All(results, result => Assert.True(result.Success, result.Error));
        await _receiver.WaitForSpansAsync(s => s.Name.StartsWith("many ", StringComparison.Ordinal), 20, Wait);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task SendAsync_Unavailable_RetriesUntilTheTimeoutAndFails(string protocol)
    {
        _receiver.Mode = OtlpReceiverMode.Unavailable;
        using var transport = Transport(TelemetrySignal.Traces, protocol, ("OTEL_EXPORTER_OTLP_TIMEOUT", "1200"));
        var clock = Stopwatch.StartNew();

        var result = await transport.SendAsync(OtlpTestRequests.Trace("refused"), CancellationToken.None);

        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(1200) + Slack, $"took {clock.Elapsed}");
        Assert.False(result.Success);
        Assert.True(result.Retryable);
        Assert.True(result.Attempts >= 3, $"{result.Attempts} attempts");
        Assert.Contains(protocol == "grpc" ? "UNAVAILABLE (14)" : "HTTP 503", result.Error);
        // Every attempt reached the collector, except one the deadline cut while it was being sent (the
        // result then says it had no answer in time): that one may never have left the client.
        int received = _receiver.ExportRequestCount(OtlpSignal.Traces);
        bool lastCut = result.Error!.StartsWith("no answer within", StringComparison.Ordinal);
        Assert.True(received == result.Attempts || (lastCut && received == result.Attempts - 1),
            $"the collector saw {received} of {result.Attempts} attempts ({result.Error})");
        Assert.Empty(_receiver.Spans);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task SendAsync_CollectorHangs_ReturnsUnsuccessfulAfterTheTimeout(string protocol)
    {
        _receiver.Mode = OtlpReceiverMode.Hang;
        using var transport = Transport(TelemetrySignal.Logs, protocol, ("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "500"));
        var clock = Stopwatch.StartNew();

        var result = await transport.SendAsync(OtlpTestRequests.Log("hang"), CancellationToken.None);

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromMilliseconds(500) + Slack);
        Assert.False(result.Success);
        Assert.True(result.Retryable);
        Assert.Equal(1, result.Attempts);
        Assert.Contains("export timeout of 500 ms", result.Error);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task SendAsync_NothingListening_FailsWithinTheTimeout(string protocol)
    {
        var port = UnusedPort();
        using var transport = new OtlpTransport(OtlpExportSettings.For(
            OtlpExportSettingsTests.Config(
                ("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{port}"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "800")),
            TelemetrySignal.Traces)!);
        var clock = Stopwatch.StartNew();

        var result = await transport.SendAsync(OtlpTestRequests.Trace("nobody"), CancellationToken.None);

        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(800) + Slack, $"took {clock.Elapsed}");
        Assert.False(result.Success);
        Assert.True(result.Retryable);
        Assert.True(result.Attempts >= 2, $"{result.Attempts} attempts");
        Assert.Contains("HttpRequestException", result.Error);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Error);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_ThrowsOperationCanceled()
    {
        _receiver.Mode = OtlpReceiverMode.Hang;
        using var transport = Transport(TelemetrySignal.Traces, "grpc", ("OTEL_EXPORTER_OTLP_TIMEOUT", "10000"));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transport.SendAsync(OtlpTestRequests.Trace("cancelled"), cancel.Token));

        Assert.Equal(cancel.Token, e.CancellationToken);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task SendAsync_NotFound_IsPermanentAndNotRetried()
    {
        using var transport = new OtlpTransport(OtlpExportSettings.For(
            OtlpExportSettingsTests.Config(
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", new Uri(_receiver.HttpEndpoint, "/v1/nowhere").ToString()),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")),
            TelemetrySignal.Traces)!);

        var result = await transport.SendAsync(OtlpTestRequests.Trace("lost"), CancellationToken.None);

        Assert.False(result.Success);
        Assert.False(result.Retryable);
        Assert.Equal(1, result.Attempts);
        Assert.StartsWith("HTTP 404", result.Error);
    }

    private OtlpTransport Transport(TelemetrySignal signal, string protocol, params (string Name, string Value)[] more)
    {
        var endpoint = protocol == "grpc" ? _receiver.GrpcEndpoint : _receiver.HttpEndpoint;
        var settings = OtlpExportSettings.For(
            OtlpExportSettingsTests.Config([("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.ToString()), ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol), .. more]),
            signal);
        return new OtlpTransport(settings!);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
