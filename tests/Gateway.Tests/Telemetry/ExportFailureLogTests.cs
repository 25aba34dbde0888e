using System.Diagnostics;
using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;
using Gateway.Tests.Support;
using Gateway.Tests.Telemetry.Otlp;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Telemetry;

/// <summary>Export failures said with their reason, signal and endpoint, rate-limited per signal, never with a secret.</summary>
public sealed class ExportFailureLogTests
{
    private const string Secret = "hdr-secret-never-logged";
    private static readonly Uri Endpoint = new("http://collector:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export");

    [Fact]
    public void Failed_SeveralWithinTheInterval_FirstAtOnceTheRestSaidWithTheirCountAtFlush()
    {
        var (log, lines) = Create(TimeSpan.FromHours(1));

        log.Failed(TelemetrySignal.Traces, Endpoint, "gRPC UNAVAILABLE (14): down", 10, 3);
        log.Failed(TelemetrySignal.Traces, Endpoint, "gRPC UNAVAILABLE (14): down", 10, 3);
        log.Failed(TelemetrySignal.Traces, Endpoint, "HTTP 503 Service Unavailable", 5, 1);

        var first = Assert.Single(lines.Entries);
        Assert.Equal(LogLevel.Warning, first.Level);
        Assert.Equal("TelemetryExportFailed", first.EventName);
        Assert.Equal($"OTLP traces export to {Endpoint} failed: gRPC UNAVAILABLE (14): down; 10 item(s) not delivered after 3 attempt(s)", first.Message);

        log.Flush();

        Assert.Equal(2, lines.Entries.Count);
        Assert.Equal(
            $"OTLP traces export: 2 more failure(s) (15 item(s)) since the last report, the last to {Endpoint}: HTTP 503 Service Unavailable",
            lines.Entries.Last().Message);
        log.Flush();
        Assert.Equal(2, lines.Entries.Count);
    }

    [Fact]
    public async Task Failed_AfterTheInterval_LogsAgainSayingWhatWasHeldBack()
    {
        var (log, lines) = Create(TimeSpan.FromMilliseconds(200));

        log.Failed(TelemetrySignal.Logs, Endpoint, "HTTP 502 Bad Gateway", 4, 2);
        log.Failed(TelemetrySignal.Logs, Endpoint, "HTTP 502 Bad Gateway", 6, 2);
        await Task.Delay(300);
        log.Failed(TelemetrySignal.Logs, Endpoint, "HTTP 502 Bad Gateway", 1, 2);

        Assert.Equal(2, lines.Entries.Count);
        Assert.EndsWith("; with 1 more failure(s) (6 item(s)) since the last report", lines.Entries.Last().Message);
    }

    [Fact]
    public void Failed_EachSignalHasItsOwnLimit()
    {
        var (log, lines) = Create(TimeSpan.FromHours(1));

        log.Failed(TelemetrySignal.Traces, Endpoint, "a", 1, 1);
        log.Failed(TelemetrySignal.Logs, Endpoint, "b", 1, 1);
        log.Failed(TelemetrySignal.Metrics, Endpoint, "c", 1, 1);
        log.Rejected(TelemetrySignal.Metrics, Endpoint, "partial success: the collector rejected 2 data points", 2);

        Assert.Equal(["OTLP traces ", "OTLP logs ", "OTLP metrics "], lines.Entries.Select(e => e.Message[..(e.Message.IndexOf("export", StringComparison.Ordinal))]));
    }

    [Fact]
    public void Failed_ReasonWithLineBreaksAndControls_IsEscapedOnOneLine()
    {
        var (log, lines) = Create(TimeSpan.FromHours(1));

        log.Failed(TelemetrySignal.Traces, Endpoint, "gRPC INTERNAL (13): oops\r\nfake: line\u001b[31m", 1, 1);

        var message = Assert.Single(lines.Entries).Message;
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\u001b', message);
        Assert.Contains(@"oops\x0D\x0Afake: line\x1B[31m", message);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task OtlpSink_CollectorRefuses_FailureLoggedWithStatusSignalAndEndpointButNoHeaderValue(string protocol)
    {
        await using var collector = await ScriptedCollector.StartAsync(
            protocol == "grpc" ? ScriptedCollector.Grpc(16, "bad token") : ScriptedCollector.Http(403, "forbidden"u8.ToArray(), "text/plain"));
        var endpoint = protocol == "grpc" ? collector.GrpcEndpoint : collector.HttpEndpoint;
        var settings = OtlpExportSettings.For(
            OtlpExportSettingsTests.Config(
                ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.ToString()),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                ("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20" + Secret)),
            TelemetrySignal.Traces)!;
        var (log, lines) = Create(TimeSpan.FromHours(1));
        using var loss = new TelemetryLoss();
        var pipeline = new RecordPipeline([new OtlpSink(TelemetrySignal.Traces, new OtlpEncoder(new AttributeList { { "service.name", "t" } }, "1"),
            new OtlpTransport(settings), new BatchOptions(100, 10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5)), loss, failures: log)]);
        try
        {
            var pool = new RecordPool();
            var record = pool.Rent();
            var span = record.AddSpan();
            span.TraceId = TraceId.NewRandom();
            span.SpanId = SpanIds.NewRandom();
            span.Name = "GET /refused";
            pipeline.Submit(record);

            var clock = Stopwatch.StartNew();
            while (lines.Entries.IsEmpty && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }
        }
        finally
        {
            await pipeline.StopAsync(TimeSpan.FromSeconds(2));
        }

        var message = Assert.Single(lines.Entries).Message;
        Assert.StartsWith($"OTLP traces export to {settings.Endpoint} failed: ", message);
        Assert.Contains(protocol == "grpc" ? "gRPC UNAUTHENTICATED (16): bad token" : "HTTP 403 Forbidden: forbidden", message);
        Assert.Contains("1 item(s) not delivered after 1 attempt(s)", message);
        Assert.DoesNotContain(Secret, string.Join("\n", lines.Entries.Select(e => e.Message)));
    }

    private static (ExportFailureLog Log, CollectingLoggerProvider Lines) Create(TimeSpan interval)
    {
        var lines = new CollectingLoggerProvider();
        var factory = LoggerFactory.Create(builder => builder.AddProvider(lines).SetMinimumLevel(LogLevel.Trace));
        return (new ExportFailureLog(factory.CreateLogger<ExportFailureLog>(), interval), lines);
    }
}
