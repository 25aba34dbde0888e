using System.Net;
using System.Text;
using OtlpReceiver.Protocol.Collector.Logs;
using OtlpReceiver.Protocol.Collector.Trace;

namespace OtlpReceiver.Tests;

/// <summary>The OTLP/HTTP endpoint driven by a plain HttpClient.</summary>
public sealed class HttpProtobufTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PostTraces_GzipProtobufBody_DecodesSpanAndAnswersProtobuf()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        using var client = new HttpClient();

        using var response = await client.PostAsync(
            receiver.HttpSignalEndpoint(OtlpSignal.Traces),
            RawRequests.Protobuf(RawRequests.TraceRequest("gzipped"), gzip: true));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Null(answer.PartialSuccess);

        var span = await receiver.WaitForSpanAsync(s => s.Name == "gzipped", Timeout);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", span.TraceId);
        Assert.Equal("b7ad6b7169203331", span.SpanId);
        Assert.Equal("", span.ParentSpanId);
        Assert.Equal(OtlpSpanKind.Server, span.Kind);
        Assert.Equal(1_700_000_000_500_000_000UL, span.EndTimeUnixNano);
        Assert.Equal(new byte[] { 1, 2, 255 }, Assert.IsType<byte[]>(span.Attributes["raw.bytes"]));
        var map = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(span.Attributes["raw.map"]);
        Assert.Equal(-7L, map["inner.int"]);
        Assert.Equal(new object?[] { false, 0.25 }, Assert.IsType<object?[]>(map["inner.list"]));
        Assert.Null(span.Attributes["raw.empty"]);
        Assert.Equal("raw-service", span.ResourceAttributes["service.name"]);
        Assert.Equal("raw-scope", span.ScopeName);
        Assert.Equal(OtlpTransport.Http, span.Transport);
        Assert.Equal(1, receiver.ExportRequestCount(OtlpSignal.Traces, OtlpTransport.Http));
        Assert.Equal(0, receiver.ExportRequestCount(OtlpSignal.Traces, OtlpTransport.Grpc));
    }

    [Fact]
    public async Task PostLogs_PlainProtobufBody_DecodesEventNameAndIds()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        using var client = new HttpClient();

        using var response = await client.PostAsync(
            receiver.HttpSignalEndpoint(OtlpSignal.Logs), RawRequests.Protobuf(RawRequests.LogRequest("wire.connection")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        ExportLogsServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        var log = await receiver.WaitForLogAsync(l => l.EventName == "wire.connection", Timeout);
        Assert.Equal("upstream refused", log.Body);
        Assert.Equal(17, log.SeverityNumber);
        Assert.Equal("Error", log.SeverityText);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", log.TraceId);
        Assert.Equal("b7ad6b7169203331", log.SpanId);
        Assert.Equal(1u, log.Flags);
        Assert.Empty(log.ResourceAttributes);
    }

    [Fact]
    public async Task PostTraces_JsonBody_Returns415WithReasonAndRecordsNothing()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        using var client = new HttpClient();

        using var response = await client.PostAsync(
            receiver.HttpSignalEndpoint(OtlpSignal.Traces),
            new StringContent("""{"resourceSpans":[]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var reason = await response.Content.ReadAsStringAsync();
        Assert.Contains("application/json", reason);
        Assert.Contains("application/x-protobuf", reason);
        Assert.Equal(0, receiver.ExportRequestCount(OtlpSignal.Traces));
        Assert.Empty(receiver.Spans);
    }

    [Fact]
    public async Task PostTraces_UnknownContentEncoding_Returns415()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        using var client = new HttpClient();
        var content = RawRequests.Protobuf(RawRequests.TraceRequest("br"));
        content.Headers.ContentEncoding.Add("br");

        using var response = await client.PostAsync(receiver.HttpSignalEndpoint(OtlpSignal.Traces), content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("br", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PostTraces_GarbageProtobuf_Returns400()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        using var client = new HttpClient();
        var content = new ByteArrayContent([0x0a, 0xff, 0xff, 0xff]);
        content.Headers.ContentType = new("application/x-protobuf");

        using var response = await client.PostAsync(receiver.HttpSignalEndpoint(OtlpSignal.Traces), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, receiver.ExportRequestCount(OtlpSignal.Traces));
    }
}
