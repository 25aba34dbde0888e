using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Gateway.Tests.Support;

namespace Gateway.Tests.Telemetry;

/// <summary>The embedded sink behind the gateway's record pipeline.</summary>
public sealed class JsonLinesSinkTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gateway-sink-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task AccessRecord_OfASpan_IsOneLineWithTheSpansIdsAndHostileValuesEscaped()
    {
        var path = Path.Combine(_directory, "nested", "access.jsonl");
        using var loss = new TelemetryLoss();
        var traceId = TraceId.NewRandom();
        var spanId = SpanIds.NewRandom();
        await using (var pipeline = new RecordPipeline([new JsonLinesSink(path, new BatchOptions(100, 10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5)), loss)]))
        {
            var record = pipeline.Rent();
            var span = record.AddSpan();
            span.TraceId = traceId;
            span.SpanId = spanId;
            span.Attributes.Add("http.request.header.x-evil", new[] { "a\r\nb\u001b\u2028\ud800" });
            span.Attributes.Add(SemanticConventions.WireObserved, false);
            record.HasLog = true;
            record.Log.EventName = SemanticConventions.AccessEvent;
            record.Log.TraceId = traceId;
            record.Log.SpanId = spanId;
            record.Log.TraceFlags = 1;
            record.Log.Body = "GET /\r\nforged 200 1.0ms";
            record.Log.ShareAttributes(span.Attributes);
            pipeline.Submit(record);

            // A record without a log record (spans only) writes no line.
            var spansOnly = pipeline.Rent();
            spansOnly.AddSpan().TraceId = traceId;
            pipeline.Submit(spansOnly);
        }

        var line = Assert.Single(JsonLines.ReadAll(path));
        Assert.Equal("gateway.access", line.GetProperty("event").GetString());
        Assert.Equal(traceId.ToHex(), line.GetProperty("trace_id").GetString());
        Assert.Equal(SpanIds.ToHex(spanId), line.GetProperty("span_id").GetString());
        Assert.Equal("01", line.GetProperty("trace_flags").GetString());
        Assert.Equal("GET /\r\nforged 200 1.0ms", line.GetProperty("body").GetString());
        Assert.Equal("a\r\nb\u001b\u2028\uFFFD", line.Attributes().GetProperty("http.request.header.x-evil")[0].GetString());
        Assert.False(line.Attributes().GetProperty("wire.observed").GetBoolean());
        Assert.Single(File.ReadAllLines(path));
        Assert.Equal(1, loss.Exported);
    }

    [Fact]
    public async Task ConnectionRecord_WithoutSpan_HasNullIds()
    {
        var path = Path.Combine(_directory, "conn.jsonl");
        using var loss = new TelemetryLoss();
        await using (var pipeline = new RecordPipeline([new JsonLinesSink(path, new BatchOptions(100, 10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5)), loss)]))
        {
            var record = pipeline.Rent();
            record.HasLog = true;
            record.Log.EventName = SemanticConventions.ConnectionEvent;
            record.Log.Body = "connection closed";
            record.Log.Attributes.Add(SemanticConventions.WireObserved, false);
            pipeline.Submit(record);
        }

        var line = Assert.Single(JsonLines.ReadAll(path));
        Assert.Equal("wire.connection", line.GetProperty("event").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, line.GetProperty("trace_id").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, line.GetProperty("trace_flags").ValueKind);
    }

    [Theory]
    [InlineData(Gateway.Configuration.AccessRecordForm.Auto, false)]
    [InlineData(Gateway.Configuration.AccessRecordForm.Full, false)]
    [InlineData(Gateway.Configuration.AccessRecordForm.Core, true)]
    public async Task AccessRecord_InEachForm_KeepsWhatTheFormSays(Gateway.Configuration.AccessRecordForm form, bool core)
    {
        var path = Path.Combine(_directory, $"{form}.jsonl");
        using var loss = new TelemetryLoss();
        var options = new BatchOptions(100, 10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5));
        await using (var pipeline = new RecordPipeline([new JsonLinesSink(path, options, loss, AccessRecordFormPolicy.OnlyCopy(form))]))
        {
            var record = pipeline.Rent();
            var span = record.AddSpan();
            span.TraceId = TraceId.NewRandom();
            span.SpanId = SpanIds.NewRandom();
            span.Attributes.Add(SemanticConventions.HttpRequestMethod, "GET");
            span.Attributes.Add("http.request.header.x-test", new[] { "t" });
            span.Attributes.AddGroup(new AttributeList { { "network.peer.port", 4711L }, { "wire.observed", true } });
            span.Attributes.Add(SemanticConventions.HttpResponseStatusCode, 204L);
            record.HasLog = true;
            record.Log.EventName = SemanticConventions.AccessEvent;
            record.Log.TraceId = span.TraceId;
            record.Log.SpanId = span.SpanId;
            record.Log.ShareAttributes(span.Attributes);
            pipeline.Submit(record);
        }

        var names = Assert.Single(JsonLines.ReadAll(path)).Attributes().EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(
            core ? ["http.request.method", "wire.observed", "http.response.status_code"]
                : ["http.request.method", "http.request.header.x-test", "network.peer.port", "wire.observed", "http.response.status_code"],
            names);
    }
}
