using System.IO.Compression;
using System.Net.Http.Headers;
using Google.Protobuf;
using OtlpReceiver.Protocol.Collector.Logs;
using OtlpReceiver.Protocol.Collector.Trace;
using OtlpReceiver.Protocol.Common;
using OtlpReceiver.Protocol.Logs;
using OtlpReceiver.Protocol.Trace;
using ProtoResource = OtlpReceiver.Protocol.Resource.Resource;

namespace OtlpReceiver.Tests;

/// <summary>Hand-built OTLP requests for what the .NET SDK never sends (gzip, bytes and kvlist values).</summary>
internal static class RawRequests
{
    public static readonly byte[] TraceId = Convert.FromHexString("0af7651916cd43dd8448eb211c80319c");
    public static readonly byte[] SpanId = Convert.FromHexString("b7ad6b7169203331");

    public static ExportTraceServiceRequest TraceRequest(string spanName)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(TraceId),
            SpanId = ByteString.CopyFrom(SpanId),
            Name = spanName,
            Kind = Span.Types.SpanKind.Server,
            StartTimeUnixNano = 1_700_000_000_000_000_000,
            EndTimeUnixNano = 1_700_000_000_500_000_000,
        };
        span.Attributes.Add(Kv("raw.bytes", new AnyValue { BytesValue = ByteString.CopyFrom(1, 2, 255) }));
        var nested = new KeyValueList();
        nested.Values.Add(Kv("inner.int", new AnyValue { IntValue = -7 }));
        nested.Values.Add(Kv("inner.list", new AnyValue { ArrayValue = Array(new AnyValue { BoolValue = false }, new AnyValue { DoubleValue = 0.25 }) }));
        span.Attributes.Add(Kv("raw.map", new AnyValue { KvlistValue = nested }));
        span.Attributes.Add(new KeyValue { Key = "raw.empty" });

        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "raw-scope" } };
        scope.Spans.Add(span);
        var resource = new ResourceSpans { Resource = new ProtoResource() };
        resource.Resource.Attributes.Add(Kv("service.name", new AnyValue { StringValue = "raw-service" }));
        resource.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resource);
        return request;
    }

    public static ExportLogsServiceRequest LogRequest(string eventName)
    {
        var record = new LogRecord
        {
            EventName = eventName,
            SeverityNumber = SeverityNumber.Error,
            SeverityText = "Error",
            Body = new AnyValue { StringValue = "upstream refused" },
            TraceId = ByteString.CopyFrom(TraceId),
            SpanId = ByteString.CopyFrom(SpanId),
            Flags = 1,
        };
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "raw-scope" } };
        scope.LogRecords.Add(record);
        var resource = new ResourceLogs();
        resource.ScopeLogs.Add(scope);
        var request = new ExportLogsServiceRequest();
        request.ResourceLogs.Add(resource);
        return request;
    }

    public static ByteArrayContent Protobuf(IMessage message, bool gzip = false)
    {
        var bytes = message.ToByteArray();
        if (gzip)
        {
            using var compressed = new MemoryStream();
            using (var deflate = new GZipStream(compressed, CompressionLevel.Fastest))
            {
                deflate.Write(bytes);
            }

            bytes = compressed.ToArray();
        }

        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        return content;
    }

    private static KeyValue Kv(string key, AnyValue value) => new() { Key = key, Value = value };

    private static ArrayValue Array(params AnyValue[] values)
    {
        var array = new ArrayValue();
        array.Values.Add(values);
        return array;
    }
}
