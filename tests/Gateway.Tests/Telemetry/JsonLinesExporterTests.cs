using System.Diagnostics;
using Gateway.Telemetry;
using Gateway.Tests.Support;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Gateway.Tests.Telemetry;

/// <summary>The sink behind the real OpenTelemetry logging pipeline.</summary>
public sealed class JsonLinesExporterTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gateway-sink-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AccessRecord_LoggedInsideSpan_IsOneLineWithTheSpansIdsAndHostileValuesEscaped()
    {
        var path = Path.Combine(_directory, "nested", "access.jsonl");
        using (var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(options =>
               {
                   options.IncludeFormattedMessage = true;
                   options.AddProcessor(new SimpleLogRecordExportProcessor(new JsonLinesExporter(path)));
               })))
        {
            var records = new RecordLogger(factory);
            using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
            records.Access(
                new AttributeList { { "http.request.header.x-evil", new[] { "a\r\nb\u001b\u2028\ud800" } }, { "wire.observed", false } },
                "GET /\r\nforged 200 1.0ms");
            factory.CreateLogger("Other").LogInformation("not a gateway record");

            var record = Assert.Single(JsonLines.ReadAll(path));
            Assert.Equal("gateway.access", record.GetProperty("event").GetString());
            Assert.Equal(activity.TraceId.ToHexString(), record.GetProperty("trace_id").GetString());
            Assert.Equal(activity.SpanId.ToHexString(), record.GetProperty("span_id").GetString());
            Assert.Equal("GET /\r\nforged 200 1.0ms", record.GetProperty("body").GetString());
            Assert.Equal("a\r\nb\u001b\u2028\uFFFD", record.Attributes().GetProperty("http.request.header.x-evil")[0].GetString());
        }

        Assert.Single(File.ReadAllLines(path));
    }

    [Fact]
    public void ConnectionRecord_WithoutSpan_HasNullIds()
    {
        var path = Path.Combine(_directory, "conn.jsonl");
        using var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(options =>
            options.AddProcessor(new SimpleLogRecordExportProcessor(new JsonLinesExporter(path)))));

        new RecordLogger(factory).Connection(new AttributeList { { "wire.observed", false } }, "connection closed");

        var record = Assert.Single(JsonLines.ReadAll(path));
        Assert.Equal("wire.connection", record.GetProperty("event").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, record.GetProperty("trace_id").ValueKind);
    }
}
