using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;

namespace OtlpReceiver.Tests;

/// <summary>The real OpenTelemetry .NET logging exporter against the receiver, over both transports.</summary>
public sealed class SdkLogExportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc, OtlpTransport.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf, OtlpTransport.Http)]
    public async Task Export_StructuredLogInsideActivity_ReceiverGetsBodyAttributesAndIds(
        OtlpExportProtocol protocol, string transport)
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        var category = $"Gateway.Access.{Guid.NewGuid():N}";
        using (var loggerFactory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(otel =>
               {
                   otel.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("receiver-test-service"));
                   otel.IncludeFormattedMessage = true;
                   otel.AddOtlpExporter((exporter, processor) =>
                   {
                       exporter.Protocol = protocol;
                       exporter.Endpoint = protocol == OtlpExportProtocol.Grpc
                           ? receiver.GrpcEndpoint
                           : receiver.HttpSignalEndpoint(OtlpSignal.Logs);
                       processor.ExportProcessorType = ExportProcessorType.Simple;
                   });
               })))
        {
            var logger = loggerFactory.CreateLogger(category);
            using var activity = new Activity("request").Start();
            var state = new List<KeyValuePair<string, object?>>
            {
                new("http.request.method", "GET"),
                new("http.response.status_code", 200),
                new("http.request.header.accept", new[] { "text/html", "*/*" }),
            };
            logger.Log(LogLevel.Information, new EventId(1, "gateway.access"), state, null, (_, _) => "GET /orders 200");
            var traceId = activity.TraceId.ToHexString();
            var spanId = activity.SpanId.ToHexString();

            var log = await receiver.WaitForLogAsync(l => l.ScopeName == category, Timeout);

            Assert.Equal("GET /orders 200", log.Body);
            Assert.Equal("GET", log.Attributes["http.request.method"]);
            Assert.Equal(200L, log.Attributes["http.response.status_code"]);
            Assert.Equal(new object?[] { "text/html", "*/*" }, Assert.IsType<object?[]>(log.Attributes["http.request.header.accept"]));
            Assert.Equal(traceId, log.TraceId);
            Assert.Equal(spanId, log.SpanId);
            Assert.Equal(9, log.SeverityNumber); // INFO
            Assert.Equal("Information", log.SeverityText);
            Assert.True(log.TimeUnixNano > 0);
            Assert.Equal("receiver-test-service", log.ResourceAttributes["service.name"]);
            Assert.Equal(transport, log.Transport);
            Assert.Equal(1, receiver.ExportRequestCount(OtlpSignal.Logs, transport));

            // OpenTelemetry .NET 1.20.1 sends EventId.Name in LogRecord.event_name (field 12) and
            // drops EventId.Id: neither appears among the attributes.
            Assert.Equal("gateway.access", log.EventName);
            Assert.Equal(3, log.Attributes.Count);
            Assert.DoesNotContain(log.Attributes.Values, v => Equals(v, "gateway.access") || Equals(v, 1L));
        }
    }

    [Fact]
    public async Task Export_LogOutsideActivity_TraceAndSpanIdAreEmpty()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        var category = $"Gateway.Connection.{Guid.NewGuid():N}";
        Assert.Null(Activity.Current);
        using (var loggerFactory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(otel =>
                   otel.AddOtlpExporter((exporter, processor) =>
                   {
                       exporter.Protocol = OtlpExportProtocol.Grpc;
                       exporter.Endpoint = receiver.GrpcEndpoint;
                       processor.ExportProcessorType = ExportProcessorType.Simple;
                   }))))
        {
            loggerFactory.CreateLogger(category).LogWarning("connection closed after {Bytes} bytes", 512);
        }

        var log = await receiver.WaitForLogAsync(l => l.ScopeName == category, Timeout);

        Assert.Equal("", log.TraceId);
        Assert.Equal("", log.SpanId);
        Assert.Equal(13, log.SeverityNumber); // WARN
        Assert.Equal(512L, log.Attributes["Bytes"]);

        // A message template without IncludeFormattedMessage: the body is the template itself.
        Assert.Equal("connection closed after {Bytes} bytes", log.Body);
        Assert.Equal("", log.EventName);
    }
}
