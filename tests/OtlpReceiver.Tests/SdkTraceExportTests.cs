using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OtlpReceiver.Tests;

/// <summary>The real OpenTelemetry .NET trace exporter against the receiver, over both transports.</summary>
public sealed class SdkTraceExportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc, OtlpTransport.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf, OtlpTransport.Http)]
    public async Task Export_SdkActivityWithTypedAttributesAndEvent_ReceiverDecodesSameValues(
        OtlpExportProtocol protocol, string transport)
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        var sourceName = $"otlp-receiver-tests.{Guid.NewGuid():N}";
        using var source = new ActivitySource(sourceName, "1.2.3");
        using var tracerProvider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("receiver-test-service"))
            .AddSource(sourceName)
            .AddOtlpExporter(options =>
            {
                options.Protocol = protocol;
                options.Endpoint = protocol == OtlpExportProtocol.Grpc
                    ? receiver.GrpcEndpoint
                    : receiver.HttpSignalEndpoint(OtlpSignal.Traces);
                options.ExportProcessorType = ExportProcessorType.Simple;
            })
            .Build();

        string parentSpanId;
        string traceId;
        string spanId;
        using (var parent = source.StartActivity("parent", ActivityKind.Server))
        {
            Assert.NotNull(parent);
            parentSpanId = parent.SpanId.ToHexString();
            using var child = source.StartActivity("GET /orders", ActivityKind.Client);
            Assert.NotNull(child);
            child.SetTag("test.string", "héllo");
            child.SetTag("test.int", 42);
            child.SetTag("test.bool", true);
            child.SetTag("test.double", 2.5);
            child.SetTag("test.strings", new[] { "text/html", "*/*" });
            child.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["attempt"] = 2 }));
            child.SetStatus(ActivityStatusCode.Error, "upstream reset");
            traceId = child.TraceId.ToHexString();
            spanId = child.SpanId.ToHexString();
        }

        var span = await receiver.WaitForSpanAsync(s => s.SpanId == spanId, Timeout);

        Assert.Equal("GET /orders", span.Name);
        Assert.Equal(OtlpSpanKind.Client, span.Kind);
        Assert.Equal(traceId, span.TraceId);
        Assert.Equal(32, span.TraceId.Length);
        Assert.Equal(parentSpanId, span.ParentSpanId);
        Assert.True(span.EndTimeUnixNano >= span.StartTimeUnixNano && span.StartTimeUnixNano > 0);
        Assert.Equal("héllo", span.Attributes["test.string"]);
        Assert.Equal(42L, span.Attributes["test.int"]);
        Assert.Equal(true, span.Attributes["test.bool"]);
        Assert.Equal(2.5, span.Attributes["test.double"]);
        Assert.Equal(new object?[] { "text/html", "*/*" }, Assert.IsType<object?[]>(span.Attributes["test.strings"]));
        var retry = Assert.Single(span.Events);
        Assert.Equal("retry", retry.Name);
        Assert.Equal(2L, retry.Attributes["attempt"]);
        Assert.Equal(OtlpStatusCode.Error, span.StatusCode);
        Assert.Equal("upstream reset", span.StatusMessage);
        Assert.Equal("receiver-test-service", span.ResourceAttributes["service.name"]);
        Assert.Equal(sourceName, span.ScopeName);
        Assert.Equal("1.2.3", span.ScopeVersion);
        Assert.Equal(transport, span.Transport);

        var root = await receiver.WaitForSpanAsync(s => s.SpanId == parentSpanId, Timeout);
        Assert.Equal(OtlpSpanKind.Server, root.Kind);
        Assert.Equal("", root.ParentSpanId);
        Assert.Equal(traceId, root.TraceId);

        // Simple processor: one export request per ended span, all over the configured transport.
        Assert.Equal(2, receiver.ExportRequestCount(OtlpSignal.Traces, transport));
        Assert.Equal(2, receiver.ExportRequestCount(OtlpSignal.Traces));
        Assert.Equal(0, receiver.ExportRequestCount(OtlpSignal.Logs));
    }
}
