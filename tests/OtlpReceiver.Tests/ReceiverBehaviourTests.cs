using System.Diagnostics;
using System.Net;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OtlpReceiver.Tests;

/// <summary>Start-up, waiting, failure modes and metrics counting.</summary>
public sealed class ReceiverBehaviourTests
{
    [Fact]
    public async Task StartAsync_TwoReceivers_EachListensOnItsOwnLoopbackPorts()
    {
        await using var first = await OtlpTestReceiver.StartAsync();
        await using var second = await OtlpTestReceiver.StartAsync();

        var ports = new[] { first.GrpcEndpoint.Port, first.HttpEndpoint.Port, second.GrpcEndpoint.Port, second.HttpEndpoint.Port };
        Assert.Equal(4, ports.Distinct().Count());
        Assert.All(new[] { first.GrpcEndpoint, first.HttpEndpoint, second.GrpcEndpoint, second.HttpEndpoint },
            uri => Assert.Equal("127.0.0.1", uri.Host));
    }

    [Fact]
    public async Task WaitForSpanAsync_NoMatch_TimeoutMessageListsReceivedSpans()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        using var client = new HttpClient();
        (await client.PostAsync(receiver.HttpSignalEndpoint(OtlpSignal.Traces),
            RawRequests.Protobuf(RawRequests.TraceRequest("the-span-that-came")))).EnsureSuccessStatusCode();

        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => receiver.WaitForSpanAsync(s => s.Name == "never", TimeSpan.FromMilliseconds(300)));

        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(250), $"gave up after {stopwatch.Elapsed}");
        Assert.Contains("Received 1 span(s) in 1 trace export request(s) (grpc 0, http 1)", error.Message);
        Assert.Contains("'the-span-that-came'", error.Message);
        Assert.Contains("0af7651916cd43dd8448eb211c80319c", error.Message);
        Assert.Contains("raw.bytes=0x0102ff", error.Message);
    }

    [Fact]
    public async Task WaitForLogAsync_NothingReceived_TimeoutMessageSaysSo()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();

        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => receiver.WaitForLogAsync(_ => true, TimeSpan.FromMilliseconds(100)));

        Assert.Contains("Received 0 log record(s) in 0 logs export request(s)", error.Message);
        Assert.Contains(receiver.GrpcEndpoint.ToString(), error.Message);
    }

    [Fact]
    public async Task WaitForSpanAsync_SpanArrivesWhileWaiting_Completes()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        using var client = new HttpClient();

        var waiting = receiver.WaitForSpanAsync(s => s.Name == "late", TimeSpan.FromSeconds(10));
        Assert.False(waiting.IsCompleted);
        (await client.PostAsync(receiver.HttpSignalEndpoint(OtlpSignal.Traces),
            RawRequests.Protobuf(RawRequests.TraceRequest("late")))).EnsureSuccessStatusCode();

        Assert.Equal("late", (await waiting).Name);
    }

    [Fact]
    public async Task Reset_AfterData_ForgetsSpansAndCounters()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        using var client = new HttpClient();
        (await client.PostAsync(receiver.HttpSignalEndpoint(OtlpSignal.Traces),
            RawRequests.Protobuf(RawRequests.TraceRequest("old")))).EnsureSuccessStatusCode();

        receiver.Reset();

        Assert.Empty(receiver.Spans);
        Assert.Equal(0, receiver.ExportRequestCount(OtlpSignal.Traces));
    }

    [Fact]
    public async Task ModeUnavailable_HttpExport_Returns503CountsAndRecordsNothing()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        receiver.Mode = OtlpReceiverMode.Unavailable;
        using var client = new HttpClient();

        using var response = await client.PostAsync(receiver.HttpSignalEndpoint(OtlpSignal.Traces),
            RawRequests.Protobuf(RawRequests.TraceRequest("refused")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, receiver.ExportRequestCount(OtlpSignal.Traces, OtlpTransport.Http));
        Assert.Empty(receiver.Spans);
    }

    [Fact]
    public async Task ModeUnavailable_SdkGrpcExport_FailsThenSucceedsAfterAccept()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        receiver.Mode = OtlpReceiverMode.Unavailable;
        var sourceName = $"otlp-receiver-tests.{Guid.NewGuid():N}";
        using var source = new ActivitySource(sourceName);
        using var tracerProvider = Sdk.CreateTracerProviderBuilder()
            .AddSource(sourceName)
            .AddOtlpExporter(o =>
            {
                o.Protocol = OtlpExportProtocol.Grpc;
                o.Endpoint = receiver.GrpcEndpoint;
                o.ExportProcessorType = ExportProcessorType.Simple;
                o.TimeoutMilliseconds = 2_000;
            })
            .Build();

        source.StartActivity("refused")?.Dispose();
        await receiver.WaitForExportRequestsAsync(OtlpSignal.Traces, 1, TimeSpan.FromSeconds(10), OtlpTransport.Grpc);
        Assert.DoesNotContain(receiver.Spans, s => s.Name == "refused");

        receiver.Mode = OtlpReceiverMode.Accept;
        source.StartActivity("accepted")?.Dispose();
        var span = await receiver.WaitForSpanAsync(s => s.Name == "accepted", TimeSpan.FromSeconds(10));
        Assert.Equal(OtlpTransport.Grpc, span.Transport);
    }

    [Fact]
    public async Task ModeHang_Dispose_ReleasesHeldRequest()
    {
        var receiver = await OtlpTestReceiver.StartAsync();
        receiver.Mode = OtlpReceiverMode.Hang;
        using var client = new HttpClient();

        var posting = client.PostAsync(receiver.HttpSignalEndpoint(OtlpSignal.Logs),
            RawRequests.Protobuf(RawRequests.LogRequest("held")));
        await receiver.WaitForExportRequestsAsync(OtlpSignal.Logs, 1, TimeSpan.FromSeconds(10));
        Assert.False(posting.IsCompleted);

        var stopwatch = Stopwatch.StartNew();
        await receiver.DisposeAsync();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(4), $"dispose took {stopwatch.Elapsed}");
        var outcome = await Record.ExceptionAsync(async () => (await posting).EnsureSuccessStatusCode());
        Assert.NotNull(outcome);
        Assert.Empty(receiver.Logs);
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc, OtlpTransport.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf, OtlpTransport.Http)]
    public async Task Export_SdkMetrics_CountedPerTransportWithNames(OtlpExportProtocol protocol, string transport)
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        var meterName = $"otlp-receiver-tests.{Guid.NewGuid():N}";
        using var meter = new System.Diagnostics.Metrics.Meter(meterName);
        var counter = meter.CreateCounter<long>("gateway.requests");
        using var meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(meterName)
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = protocol == OtlpExportProtocol.Grpc
                    ? receiver.GrpcEndpoint
                    : receiver.HttpSignalEndpoint(OtlpSignal.Metrics);
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 60_000;
            })
            .Build();

        counter.Add(3);
        Assert.True(meterProvider.ForceFlush(10_000));

        await receiver.WaitForExportRequestsAsync(OtlpSignal.Metrics, 1, TimeSpan.FromSeconds(10), transport);
        Assert.Contains("gateway.requests", receiver.MetricNames);
        Assert.Equal(0, receiver.ExportRequestCount(OtlpSignal.Traces));
    }
}
