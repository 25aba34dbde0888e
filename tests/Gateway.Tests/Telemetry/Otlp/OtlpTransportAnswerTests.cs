using System.Diagnostics;
using System.IO.Compression;
using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using Google.Protobuf;
using OtlpReceiver.Protocol.Collector.Logs;
using OtlpReceiver.Protocol.Collector.Trace;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>
/// The transport against a scripted collector: what is on the wire (headers, framing), and the answers the
/// real receiver never gives (partial success, Retry-After, error statuses and messages).
/// </summary>
public sealed class OtlpTransportAnswerTests
{
    private const string Secret = "k3y-that-must-stay-out-of-errors";

    [Theory]
    [InlineData("grpc", "none")]
    [InlineData("grpc", "gzip")]
    [InlineData("http/protobuf", "none")]
    [InlineData("http/protobuf", "gzip")]
    public async Task SendAsync_Request_CarriesTheConfiguredHeadersAndTheProtocolsFraming(string protocol, string compression)
    {
        await using var collector = await ScriptedCollector.StartAsync(
            protocol == "grpc" ? ScriptedCollector.Grpc(0, response: []) : ScriptedCollector.Http(200));
        using var transport = Transport(collector, TelemetrySignal.Traces, protocol,
            ("OTEL_EXPORTER_OTLP_HEADERS", $"api-key={Secret},x-tenant=a%20b"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", compression));
        var request = OtlpTestRequests.Trace("framed");

        var result = await transport.SendAsync(request, CancellationToken.None);

        Assert.True(result.Success, result.Error);
        var seen = Assert.Single(collector.Requests);
        Assert.Equal(Secret, seen.Headers["api-key"]);
        Assert.Equal("a b", seen.Headers["x-tenant"]);
        Assert.StartsWith("Gateway-OTLP-Exporter/", seen.Headers["User-Agent"]);
        var gzip = compression == "gzip";
        if (protocol == "grpc")
        {
            Assert.Equal("HTTP/2", seen.Protocol);
            Assert.Equal("/opentelemetry.proto.collector.trace.v1.TraceService/Export", seen.Path);
            Assert.Equal("application/grpc", seen.Headers["Content-Type"]);
            Assert.Equal("trailers", seen.Headers["TE"]);
            Assert.Equal(gzip ? "gzip" : null, seen.Headers.GetValueOrDefault("grpc-encoding"));
            Assert.Equal(gzip ? 1 : 0, seen.Body[0]);
            Assert.Equal(seen.Body.Length - 5, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(seen.Body.AsSpan(1)));
            Assert.Equal(request, Inflate(seen.Body[5..], gzip));
        }
        else
        {
            Assert.Equal("HTTP/1.1", seen.Protocol);
            Assert.Equal("/v1/traces", seen.Path);
            Assert.Equal("application/x-protobuf", seen.Headers["Content-Type"]);
            Assert.Equal(gzip ? "gzip" : null, seen.Headers.GetValueOrDefault("Content-Encoding"));
            Assert.Equal(seen.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), seen.Headers["Content-Length"]);
            Assert.Equal(request, Inflate(seen.Body, gzip));
        }
    }

    [Fact]
    public async Task SendAsync_HttpPartialSuccess_ReportsTheRejectedSpans()
    {
        var answer = new ExportTraceServiceResponse
        {
            PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = 2, ErrorMessage = "2 spans too old" },
        };
        await using var collector = await ScriptedCollector.StartAsync(ScriptedCollector.Http(200, answer.ToByteArray()));
        using var transport = Transport(collector, TelemetrySignal.Traces, "http/protobuf");

        var result = await transport.SendAsync(OtlpTestRequests.Trace("partial"), CancellationToken.None);

        Assert.Equal(new OtlpSendResult(true, 2, false, 1, "partial success: the collector rejected 2 spans: 2 spans too old"), result);
    }

    [Fact]
    public async Task SendAsync_GrpcPartialSuccess_ReportsTheRejectedLogRecords()
    {
        var answer = new ExportLogsServiceResponse { PartialSuccess = new ExportLogsPartialSuccess { RejectedLogRecords = 4 } };
        await using var collector = await ScriptedCollector.StartAsync(ScriptedCollector.Grpc(0, response: answer.ToByteArray()));
        using var transport = Transport(collector, TelemetrySignal.Logs, "grpc");

        var result = await transport.SendAsync(OtlpTestRequests.Log("partial"), CancellationToken.None);

        Assert.Equal(new OtlpSendResult(true, 4, false, 1, "partial success: the collector rejected 4 log records"), result);
    }

    [Fact]
    public async Task SendAsync_TooManyRequestsWithRetryAfter_WaitsAsToldThenSucceeds()
    {
        await using var collector = await ScriptedCollector.StartAsync(
            ScriptedCollector.Http(429, retryAfter: "1"), ScriptedCollector.Http(200));
        using var transport = Transport(collector, TelemetrySignal.Traces, "http/protobuf", ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000"));

        var result = await transport.SendAsync(OtlpTestRequests.Trace("throttled"), CancellationToken.None);

        Assert.Equal(new OtlpSendResult(true, 0, false, 2, null), result);
        var requests = collector.Requests.ToArray();
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(950), $"retried after {requests[1].At - requests[0].At}");
    }

    [Fact]
    public async Task SendAsync_RetryAfterBeyondTheTimeout_GivesUpAtOnce()
    {
        await using var collector = await ScriptedCollector.StartAsync(ScriptedCollector.Http(503, retryAfter: "60"));
        using var transport = Transport(collector, TelemetrySignal.Traces, "http/protobuf", ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"));
        var clock = Stopwatch.StartNew();

        var result = await transport.SendAsync(OtlpTestRequests.Trace("later"), CancellationToken.None);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.Equal((false, true, 1), (result.Success, result.Retryable, result.Attempts));
        Assert.StartsWith("HTTP 503", result.Error);
    }

    [Fact]
    public async Task SendAsync_BadRequestWithStatus_IsNotRetriedAndCarriesTheCollectorsMessage()
    {
        // google.rpc.Status { code = 3, message = "invalid trace id" }.
        byte[] status = [0x08, 0x03, 0x12, 0x10, .. "invalid trace id"u8];
        await using var collector = await ScriptedCollector.StartAsync(ScriptedCollector.Http(400, status));
        using var transport = Transport(collector, TelemetrySignal.Traces, "http/protobuf", ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=" + Secret));

        var result = await transport.SendAsync(OtlpTestRequests.Trace("bad"), CancellationToken.None);

        Assert.Equal(new OtlpSendResult(false, 0, false, 1, "HTTP 400 Bad Request: invalid trace id"), result);
        Assert.Single(collector.Requests);
    }

    [Fact]
    public async Task SendAsync_UnauthorizedWithTextBody_IsNotRetriedAndKeepsTheSecretOut()
    {
        await using var collector = await ScriptedCollector.StartAsync(ScriptedCollector.Http(401, "missing token"u8.ToArray(), "text/plain"));
        using var transport = Transport(collector, TelemetrySignal.Logs, "http/protobuf", ("OTEL_EXPORTER_OTLP_HEADERS", "authorization=" + Secret));

        var result = await transport.SendAsync(OtlpTestRequests.Log("denied"), CancellationToken.None);

        Assert.Equal(new OtlpSendResult(false, 0, false, 1, "HTTP 401 Unauthorized: missing token"), result);
        Assert.DoesNotContain(Secret, result.ToString());
    }

    [Fact]
    public async Task SendAsync_GrpcInvalidArgument_IsNotRetriedAndDecodesTheMessage()
    {
        await using var collector = await ScriptedCollector.StartAsync(ScriptedCollector.Grpc(3, "span #1: bad id ✗"));
        using var transport = Transport(collector, TelemetrySignal.Traces, "grpc");

        var result = await transport.SendAsync(OtlpTestRequests.Trace("invalid"), CancellationToken.None);

        Assert.Equal(new OtlpSendResult(false, 0, false, 1, "gRPC INVALID_ARGUMENT (3): span #1: bad id ✗"), result);
    }

    [Fact]
    public async Task SendAsync_GrpcResourceExhaustedWithoutRetryInfo_IsNotRetried()
    {
        // The OTLP specification: RESOURCE_EXHAUSTED is retryable only when the collector says it can recover.
        await using var collector = await ScriptedCollector.StartAsync(ScriptedCollector.Grpc(8, "quota exceeded"), ScriptedCollector.Grpc(0, response: []));
        using var transport = Transport(collector, TelemetrySignal.Traces, "grpc", ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000"));

        var result = await transport.SendAsync(OtlpTestRequests.Trace("exhausted"), CancellationToken.None);

        Assert.Equal(new OtlpSendResult(false, 0, false, 1, "gRPC RESOURCE_EXHAUSTED (8): quota exceeded"), result);
        Assert.Single(collector.Requests);
    }

    [Fact]
    public async Task SendAsync_GrpcResourceExhaustedWithRetryInfo_WaitsTheAskedDelayThenSucceeds()
    {
        await using var collector = await ScriptedCollector.StartAsync(
            ScriptedCollector.Grpc(8, "slow down", details: StatusWithRetryInfo(8, TimeSpan.FromMilliseconds(700))),
            ScriptedCollector.Grpc(14),
            ScriptedCollector.Grpc(0, response: []));
        using var transport = Transport(collector, TelemetrySignal.Traces, "grpc", ("OTEL_EXPORTER_OTLP_TIMEOUT", "5000"));

        var result = await transport.SendAsync(OtlpTestRequests.Trace("eventually"), CancellationToken.None);

        Assert.Equal(new OtlpSendResult(true, 0, false, 3, null), result);
        var requests = collector.Requests.ToArray();
        // The backoff alone would have waited 50-100 ms.
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(650), $"retried after {requests[1].At - requests[0].At}");
    }

    [Fact]
    public async Task SendAsync_GrpcRetryInfoBeyondTheTimeout_GivesUpAtOnceAndSaysWhy()
    {
        await using var collector = await ScriptedCollector.StartAsync(
            ScriptedCollector.Grpc(14, "draining", details: StatusWithRetryInfo(14, TimeSpan.FromSeconds(30))));
        using var transport = Transport(collector, TelemetrySignal.Logs, "grpc", ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"));
        var clock = Stopwatch.StartNew();

        var result = await transport.SendAsync(OtlpTestRequests.Log("later"), CancellationToken.None);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.Equal(new OtlpSendResult(false, 0, true, 1, "gRPC UNAVAILABLE (14): draining (RetryInfo: retry after 30000 ms)"), result);
    }

    [Fact]
    public async Task SendAsync_GrpcRetryInfoOnAPermanentCode_IsNotRetried()
    {
        await using var collector = await ScriptedCollector.StartAsync(
            ScriptedCollector.Grpc(3, "bad", details: StatusWithRetryInfo(3, TimeSpan.FromMilliseconds(10))));
        using var transport = Transport(collector, TelemetrySignal.Traces, "grpc");

        var result = await transport.SendAsync(OtlpTestRequests.Trace("invalid"), CancellationToken.None);

        Assert.Equal((false, false, 1), (result.Success, result.Retryable, result.Attempts));
    }

    [Fact]
    public async Task SendAsync_GrpcAnswerWithoutStatus_IsAPermanentFailure()
    {
        await using var collector = await ScriptedCollector.StartAsync(context =>
        {
            context.Response.ContentType = "application/grpc";
            return Task.CompletedTask;
        });
        using var transport = Transport(collector, TelemetrySignal.Traces, "grpc");

        var result = await transport.SendAsync(OtlpTestRequests.Trace("statusless"), CancellationToken.None);

        Assert.Equal((false, false, 1), (result.Success, result.Retryable, result.Attempts));
        Assert.Contains("grpc-status", result.Error);
    }

    private static OtlpTransport Transport(ScriptedCollector collector, TelemetrySignal signal, string protocol, params (string Name, string Value)[] more)
    {
        var endpoint = protocol == "grpc" ? collector.GrpcEndpoint : collector.HttpEndpoint;
        return new OtlpTransport(OtlpExportSettings.For(
            OtlpExportSettingsTests.Config([("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.ToString()), ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol), .. more]),
            signal)!);
    }

    /// <summary>A serialized google.rpc.Status with <paramref name="code"/> whose details hold a google.rpc.RetryInfo of <paramref name="delay"/>.</summary>
    internal static byte[] StatusWithRetryInfo(int code, TimeSpan delay)
    {
        var duration = new Google.Protobuf.WellKnownTypes.Duration
        {
            Seconds = delay.Ticks / TimeSpan.TicksPerSecond,
            Nanos = (int)(delay.Ticks % TimeSpan.TicksPerSecond * 100),
        };
        var any = new Google.Protobuf.WellKnownTypes.Any
        {
            TypeUrl = "type.googleapis.com/google.rpc.RetryInfo",
            Value = ByteString.CopyFrom(Field(1, duration.ToByteArray())),
        };

        // google.rpc.Status: code 1, message 2 (left out), details 3; another detail before the RetryInfo, as a collector may send.
        var other = new Google.Protobuf.WellKnownTypes.Any { TypeUrl = "type.googleapis.com/google.rpc.DebugInfo", Value = ByteString.CopyFromUtf8("x") };
        return [0x08, (byte)code, .. Field(3, other.ToByteArray()), .. Field(3, any.ToByteArray())];
    }

    private static byte[] Field(int number, byte[] payload)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(payload));
        output.Flush();
        return stream.ToArray();
    }

    private static byte[] Inflate(byte[] body, bool gzip)
    {
        if (!gzip)
        {
            return body;
        }

        using var inflate = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        inflate.CopyTo(plain);
        return plain.ToArray();
    }
}
