using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Configuration;
using OtlpReceiver.Protocol.Collector.Logs;
using OtlpReceiver.Protocol.Collector.Trace;
using OtlpReceiver.Protocol.Common;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>
/// The gateway's own OTLP encoding, decoded by the receiver's protobuf classes (generated from the
/// opentelemetry-proto files): every field the gateway writes reads back as written.
/// </summary>
public sealed class OtlpEncoderTests
{
    private static readonly OtlpEncoder Encoder = new(
        ResourceAttributes.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_SERVICE_NAME"] = "enc-test",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment=lab%20one,service.name=ignored",
        }).Build()),
        "1.2.3");

    [Fact]
    public void Traces_ServerAndClientSpan_DecodeWithEveryField()
    {
        var record = Request(out var server, out var client);
        var writer = new ProtoWriter(16);

        Assert.Equal(2, Encode(TelemetrySignal.Traces, writer, [record]));

        var request = ExportTraceServiceRequest.Parser.ParseFrom(writer.Written.ToArray());
        var resource = Assert.Single(request.ResourceSpans);
        Assert.Equal("enc-test", Text(resource.Resource.Attributes, "service.name"));
        Assert.Equal("lab one", Text(resource.Resource.Attributes, "deployment.environment"));
        var scope = Assert.Single(resource.ScopeSpans);
        Assert.Equal("Gateway", scope.Scope.Name);
        Assert.Equal("1.2.3", scope.Scope.Version);
        Assert.Equal(2, scope.Spans.Count);

        var s = scope.Spans[0];
        Assert.Equal(server.TraceId.ToHex(), Convert.ToHexStringLower(s.TraceId.ToByteArray()));
        Assert.Equal(SpanIds.ToHex(server.SpanId), Convert.ToHexStringLower(s.SpanId.ToByteArray()));
        Assert.Equal(SpanIds.ToHex(server.ParentSpanId), Convert.ToHexStringLower(s.ParentSpanId.ToByteArray()));
        Assert.Equal("vendor=1", s.TraceState);
        Assert.Equal("GET {**catch-all}", s.Name);
        Assert.Equal(2, (int)s.Kind);
        Assert.Equal((ulong)server.StartUnixNano, s.StartTimeUnixNano);
        Assert.Equal((ulong)server.EndUnixNano, s.EndTimeUnixNano);
        Assert.Equal(2, (int)s.Status.Code);
        Assert.Equal("upstream said no", s.Status.Message);
        Assert.Equal(0x301u, s.Flags);
        Assert.Equal("GET", Value(s.Attributes, "http.request.method").StringValue);
        Assert.Equal(502, Value(s.Attributes, "http.response.status_code").IntValue);
        Assert.Equal(-3, Value(s.Attributes, "test.negative").IntValue);
        Assert.True(Value(s.Attributes, "wire.observed").BoolValue);
        Assert.Equal(1.5, Value(s.Attributes, "gateway.request.duration_ms").DoubleValue);
        Assert.Equal(["a", "b\uFFFD"], Value(s.Attributes, "http.request.header.x-many").ArrayValue.Values.Select(v => v.StringValue));
        Assert.Equal(["only"], Value(s.Attributes, "http.request.header.x-one").ArrayValue.Values.Select(v => v.StringValue));
        Assert.DoesNotContain(s.Attributes, a => a.Key == "error.type");
        var ev = Assert.Single(s.Events);
        Assert.Equal("wire.reset", ev.Name);
        Assert.Equal("in", Text(ev.Attributes, "wire.event.direction"));

        var c = scope.Spans[1];
        Assert.Equal(3, (int)c.Kind);
        Assert.Equal(s.SpanId, c.ParentSpanId);
        Assert.Equal(0x101u, c.Flags);
        Assert.Equal(SpanIds.ToHex(client.SpanId), Convert.ToHexStringLower(c.SpanId.ToByteArray()));
    }

    [Fact]
    public void Logs_AccessRecord_DecodesWithTheSpansIdsAndTheSameAttributes()
    {
        var record = Request(out var server, out _);
        var writer = new ProtoWriter();

        Assert.Equal(1, Encode(TelemetrySignal.Logs, writer, [record]));

        var request = ExportLogsServiceRequest.Parser.ParseFrom(writer.Written.ToArray());
        var scope = Assert.Single(Assert.Single(request.ResourceLogs).ScopeLogs);
        Assert.Equal(OtlpEncoder.RecordCategory, scope.Scope.Name);
        var log = Assert.Single(scope.LogRecords);
        Assert.Equal("gateway.access", log.EventName);
        Assert.Equal(9, (int)log.SeverityNumber);
        Assert.Equal("Information", log.SeverityText);
        Assert.Equal("GET / 502 1.5ms", log.Body.StringValue);
        Assert.Equal(server.TraceId.ToHex(), Convert.ToHexStringLower(log.TraceId.ToByteArray()));
        Assert.Equal(SpanIds.ToHex(server.SpanId), Convert.ToHexStringLower(log.SpanId.ToByteArray()));
        Assert.Equal(1u, log.Flags);
        Assert.Equal((ulong)server.EndUnixNano, log.TimeUnixNano);
        Assert.Equal(server.Attributes.Count - 1, log.Attributes.Count); // the null-valued error.type is left out
    }

    [Fact]
    public void Logs_AfterTheSpansWereEncoded_CopyTheirAttributesUnderTheLogFieldAndDecodeTheSame()
    {
        var record = Request(out var server, out _);
        var spans = new ProtoWriter();
        var logs = new ProtoWriter();
        var fresh = new ProtoWriter();

        Encode(TelemetrySignal.Traces, spans, [record]);
        Encode(TelemetrySignal.Logs, logs, [record]);
        var span = ExportTraceServiceRequest.Parser.ParseFrom(spans.Written.ToArray()).ResourceSpans[0].ScopeSpans[0].Spans[0];
        var log = ExportLogsServiceRequest.Parser.ParseFrom(logs.Written.ToArray()).ResourceLogs[0].ScopeLogs[0].LogRecords[0];

        Assert.Equal(span.Attributes, log.Attributes);
        Assert.Equal(["a", "b\uFFFD"], Value(log.Attributes, "http.request.header.x-many").ArrayValue.Values.Select(v => v.StringValue));

        // A change to the list drops what was kept: the next encoding has the new attribute.
        server.Attributes.Add("test.added", 1L);
        Encode(TelemetrySignal.Logs, fresh, [record]);
        var changed = ExportLogsServiceRequest.Parser.ParseFrom(fresh.Written.ToArray()).ResourceLogs[0].ScopeLogs[0].LogRecords[0];
        Assert.Equal(1, Value(changed.Attributes, "test.added").IntValue);
    }

    [Fact]
    public void Logs_CoreForm_KeepsOnlyTheCoreAttributesIncludingThoseInGroupsAndTheTraceContext()
    {
        var record = Request(out var server, out _);
        server.Attributes.AddGroup(new AttributeList { { "network.peer.address", "198.18.0.7" }, { SemanticConventions.ClientAddress.Name, "198.18.0.8" } });
        server.Attributes.Add(SemanticConventions.UrlPath, "/core");
        server.Attributes.Add(SemanticConventions.GatewayRuleMatched, new[] { "ttl-far" });
        var spans = new ProtoWriter();
        var logs = new ProtoWriter();

        // The span first, as the sinks usually go: its kept encoding must not leak into the core record.
        Encode(TelemetrySignal.Traces, spans, [record]);
        var envelope = Encoder.Begin(logs, TelemetrySignal.Logs);
        Assert.Equal(1, OtlpEncoder.Write(logs, record, TelemetrySignal.Logs, core: true));
        OtlpEncoder.End(logs, envelope);

        var log = ExportLogsServiceRequest.Parser.ParseFrom(logs.Written.ToArray()).ResourceLogs[0].ScopeLogs[0].LogRecords[0];
        Assert.Equal(
            ["http.request.method", "http.response.status_code", "wire.observed", "gateway.request.duration_ms", "client.address", "url.path", "gateway.rule.matched"],
            log.Attributes.Select(a => a.Key));
        Assert.Equal("198.18.0.8", Text(log.Attributes, "client.address"));
        Assert.Equal(["ttl-far"], Value(log.Attributes, "gateway.rule.matched").ArrayValue.Values.Select(v => v.StringValue));
        Assert.Equal(server.TraceId.ToHex(), Convert.ToHexStringLower(log.TraceId.ToByteArray()));
        Assert.Equal(SpanIds.ToHex(server.SpanId), Convert.ToHexStringLower(log.SpanId.ToByteArray()));
        Assert.Equal(1u, log.Flags);
        Assert.Equal("gateway.access", log.EventName);

        // The full form of the same record still has everything, headers included.
        var full = new ProtoWriter();
        Encode(TelemetrySignal.Logs, full, [record]);
        var whole = ExportLogsServiceRequest.Parser.ParseFrom(full.Written.ToArray()).ResourceLogs[0].ScopeLogs[0].LogRecords[0];
        Assert.Contains(whole.Attributes, a => a.Key == "http.request.header.x-many");
        Assert.Contains(whole.Attributes, a => a.Key == "network.peer.address");
        Assert.True(full.Length > logs.Length);
    }

    [Fact]
    public void Group_SharedByTwoRequests_IsWrittenInPlaceInBoth()
    {
        var shared = new AttributeList { { "network.peer.address", "198.18.0.7" }, { "wire.ip.ttl", 61L } };
        var first = Request(out var one, out _);
        var second = Request(out var two, out _);
        one.Attributes.AddGroup(shared);
        two.Attributes.AddGroup(shared);
        one.Attributes.Add("test.after", 1L);
        two.Attributes.Add("test.after", 2L);
        var writer = new ProtoWriter();

        Encode(TelemetrySignal.Traces, writer, [first, second]);
        var logs = new ProtoWriter();
        Encode(TelemetrySignal.Logs, logs, [second]);

        var spans = ExportTraceServiceRequest.Parser.ParseFrom(writer.Written.ToArray()).ResourceSpans[0].ScopeSpans[0].Spans;
        foreach (var (span, after) in new[] { (spans[0], 1L), (spans[2], 2L) })
        {
            var keys = span.Attributes.Select(a => a.Key).ToList();
            Assert.Equal(keys.IndexOf("network.peer.address") + 1, keys.IndexOf("wire.ip.ttl"));
            Assert.Equal(keys.IndexOf("wire.ip.ttl") + 1, keys.IndexOf("test.after"));
            Assert.Equal("198.18.0.7", Text(span.Attributes, "network.peer.address"));
            Assert.Equal(61, Value(span.Attributes, "wire.ip.ttl").IntValue);
            Assert.Equal(after, Value(span.Attributes, "test.after").IntValue);
        }

        var log = ExportLogsServiceRequest.Parser.ParseFrom(logs.Written.ToArray()).ResourceLogs[0].ScopeLogs[0].LogRecords[0];
        Assert.Equal(spans[2].Attributes, log.Attributes);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(2000)]
    public void Logs_AccessSummary_IsFormattedIntoTheBody(int pathLength)
    {
        var record = Request(out _, out _);
        var path = "/" + new string('p', pathLength);
        record.Log.SetAccessSummary("GET", path, "a=1", 503, 12.345);
        var writer = new ProtoWriter();

        Encode(TelemetrySignal.Logs, writer, [record]);

        var log = ExportLogsServiceRequest.Parser.ParseFrom(writer.Written.ToArray()).ResourceLogs[0].ScopeLogs[0].LogRecords[0];
        Assert.Equal($"GET {path}?a=1 503 12.3ms", log.Body.StringValue);
        Assert.Equal(log.Body.StringValue, record.Log.Body);
    }

    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(0.04, "0.0")]
    [InlineData(0.06, "0.1")]
    [InlineData(0.96, "1.0")]
    [InlineData(9.99, "10.0")]
    [InlineData(1234567.89, "1234567.9")]
    [InlineData(1e13, "10000000000000.0")]
    [InlineData(double.NaN, "NaN")]
    public void Logs_AccessSummary_DurationHasOneDecimal(double milliseconds, string shown)
    {
        var record = Request(out _, out _);
        record.Log.SetAccessSummary("GET", "/", null, 200, milliseconds);

        Assert.Equal($"GET / 200 {shown}ms", record.Log.Body);
    }

    [Fact]
    public void Logs_AccessSummary_DurationIsTheNearestTenth()
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var milliseconds = random.NextDouble() * Math.Pow(10, random.Next(0, 7));
            var record = Request(out _, out _);
            record.Log.SetAccessSummary("GET", "/", null, 200, milliseconds);

            var shown = record.Log.Body["GET / 200 ".Length..^"ms".Length];
            Assert.Matches(@"^[0-9]+\.[0-9]$", shown);
            Assert.InRange(double.Parse(shown, System.Globalization.CultureInfo.InvariantCulture) - milliseconds, -0.0501, 0.0501);
        }
    }

    [Fact]
    public void Traces_UnsampledParent_WritesNoSpans()
    {
        var record = Request(out _, out _);
        record.ExportSpans = false;
        var writer = new ProtoWriter();

        Assert.Equal(0, Encode(TelemetrySignal.Traces, writer, [record]));
        Assert.Empty(Assert.Single(ExportTraceServiceRequest.Parser.ParseFrom(writer.Written.ToArray()).ResourceSpans).ScopeSpans.Single().Spans);
    }

    [Fact]
    public void Writer_MessageOverAMegabyte_LengthsStayValid()
    {
        var record = Request(out var server, out _);
        server.Attributes.Add("http.request.header.x-big", new string('x', 3 << 20));
        var writer = new ProtoWriter(16);

        Encode(TelemetrySignal.Traces, writer, [record]);

        var span = ExportTraceServiceRequest.Parser.ParseFrom(writer.Written.ToArray()).ResourceSpans[0].ScopeSpans[0].Spans[0];
        Assert.Equal(3 << 20, Text(span.Attributes, "http.request.header.x-big").Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(120)]
    [InlineData(123)]
    [InlineData(124)]
    [InlineData(125)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(16_370)]
    [InlineData(16_380)]
    [InlineData(16_384)]
    public void Attributes_AtVarintBoundaries_DecodeExactly(int length)
    {
        // Lengths around 127 and 16383 change the size of some length prefix inside the KeyValue.
        var record = new TelemetryRecord();
        var span = record.AddSpan();
        span.TraceId = TraceId.NewRandom();
        span.SpanId = 1;
        var text = new string('v', length);
        span.Attributes.Add("test.string", text);
        span.Attributes.AddSingleton(AttributeName.Of("test.single"), text);
        span.Attributes.Add("test.pair", new[] { text, "é" + text });
        span.Attributes.Add("test.int", -(long)length);
        span.Attributes.Add("test.double", length / 3.0);
        var writer = new ProtoWriter(8);

        Encode(TelemetrySignal.Traces, writer, [record]);

        var decoded = ExportTraceServiceRequest.Parser.ParseFrom(writer.Written.ToArray()).ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes;
        Assert.Equal(text, Text(decoded, "test.string"));
        Assert.Equal([text], Value(decoded, "test.single").ArrayValue.Values.Select(v => v.StringValue));
        Assert.Equal([text, "é" + text], Value(decoded, "test.pair").ArrayValue.Values.Select(v => v.StringValue));
        Assert.Equal(-(long)length, Value(decoded, "test.int").IntValue);
        Assert.Equal(length / 3.0, Value(decoded, "test.double").DoubleValue);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(120)]
    [InlineData(128)]
    [InlineData(16_370)]
    [InlineData(16_384)]
    public void Logs_CopiedFromSpansWithLongValues_DecodeTheSame(int length)
    {
        // The access record copies the server span's encoded KeyValues and retags each: the walk
        // over them must step over lengths of one, two and three varint bytes alike.
        var record = Request(out var server, out _);
        var text = new string('v', length);
        server.Attributes.Add("test.long", text);
        server.Attributes.Add("test.pair", new[] { text, "é" + text });
        server.Attributes.Add("test.after", 7L);
        var spans = new ProtoWriter(8);
        var logs = new ProtoWriter(8);

        Encode(TelemetrySignal.Traces, spans, [record]);
        Encode(TelemetrySignal.Logs, logs, [record]);

        var span = ExportTraceServiceRequest.Parser.ParseFrom(spans.Written.ToArray()).ResourceSpans[0].ScopeSpans[0].Spans[0];
        var log = ExportLogsServiceRequest.Parser.ParseFrom(logs.Written.ToArray()).ResourceLogs[0].ScopeLogs[0].LogRecords[0];
        Assert.Equal(span.Attributes, log.Attributes);
        Assert.Equal(text, Text(log.Attributes, "test.long"));
        Assert.Equal(7L, Value(log.Attributes, "test.after").IntValue);
    }

    [Theory]
    [InlineData('é', 40)]
    [InlineData('é', 64)]
    [InlineData('é', 65)]
    [InlineData('€', 41)]
    [InlineData('€', 42)]
    [InlineData('€', 43)]
    [InlineData('€', 5462)]
    [InlineData('€', 5500)]
    public void Attributes_WiderInUtf8ThanInCharacters_DecodeExactly(char wide, int count)
    {
        // Fewer than 128 characters can still be 128 bytes or more: the lengths then take more
        // bytes than a value of that many characters needs.
        var record = new TelemetryRecord();
        var span = record.AddSpan();
        span.TraceId = TraceId.NewRandom();
        span.SpanId = 1;
        var text = "a" + new string(wide, count);
        span.Attributes.Add("test.string", text);
        span.Attributes.AddSingleton(AttributeName.Of("test.single"), text);
        span.Attributes.Add("test.after", 7L);
        var writer = new ProtoWriter(8);

        Encode(TelemetrySignal.Traces, writer, [record]);

        var decoded = ExportTraceServiceRequest.Parser.ParseFrom(writer.Written.ToArray()).ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes;
        Assert.Equal(text, Text(decoded, "test.string"));
        Assert.Equal([text], Value(decoded, "test.single").ArrayValue.Values.Select(v => v.StringValue));
        Assert.Equal(7L, Value(decoded, "test.after").IntValue);
    }

    [Fact]
    public void Attributes_LoneSurrogate_BecomesTheReplacementCharacter()
    {
        var record = new TelemetryRecord();
        var span = record.AddSpan();
        span.TraceId = TraceId.NewRandom();
        span.SpanId = 1;
        span.Attributes.Add("test.string", "x\ud800y");
        span.Attributes.AddSingleton(AttributeName.Of("test.single"), new string('z', 126) + "\udc00");
        var writer = new ProtoWriter(8);

        Encode(TelemetrySignal.Traces, writer, [record]);

        var decoded = ExportTraceServiceRequest.Parser.ParseFrom(writer.Written.ToArray()).ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes;
        Assert.Equal("x\ufffdy", Text(decoded, "test.string"));
        Assert.Equal([new string('z', 126) + "\ufffd"], Value(decoded, "test.single").ArrayValue.Values.Select(v => v.StringValue));
    }

    // One export request of the records' items, as a sink writes it (envelope, items, end); returns how many items.
    private static int Encode(TelemetrySignal signal, ProtoWriter writer, IReadOnlyList<TelemetryRecord> records)
    {
        var envelope = Encoder.Begin(writer, signal);
        var count = 0;
        foreach (var record in records)
        {
            count += OtlpEncoder.Write(writer, record, signal);
        }

        OtlpEncoder.End(writer, envelope);
        return count;
    }

    private static TelemetryRecord Request(out SpanData server, out SpanData client)
    {
        var record = new TelemetryRecord();
        server = record.AddSpan();
        server.Kind = SpanKindCode.Server;
        server.TraceId = TraceId.NewRandom();
        server.SpanId = SpanIds.NewRandom();
        server.ParentSpanId = SpanIds.NewRandom();
        server.ParentIsRemote = true;
        server.TraceFlags = 1;
        server.TraceState = "vendor=1";
        server.Name = "GET {**catch-all}";
        server.StartUnixNano = UnixTime.NowNanos();
        server.EndUnixNano = server.StartUnixNano + 1_500_000;
        server.SetError("upstream said no");
        server.Attributes.Add(SemanticConventions.HttpRequestMethod, "GET");
        server.Attributes.Add(SemanticConventions.HttpResponseStatusCode, 502L);
        server.Attributes.Add("test.negative", -3L);
        server.Attributes.Add(SemanticConventions.WireObserved, true);
        server.Attributes.Add(SemanticConventions.GatewayRequestDurationMs, 1.5);
        server.Attributes.Add("http.request.header.x-many", new[] { "a", "b\ud800" });
        server.Attributes.AddSingleton(AttributeName.Of("http.request.header.x-one"), "only");
        server.Attributes.Add(SemanticConventions.ErrorType, (string?)null);
        var details = new AttributeList { { "wire.event.direction", "in" } };
        Assert.True(server.TryAddEvent(new SpanEventData("wire.reset", server.StartUnixNano + 10, details), server.Generation));

        client = record.AddSpan();
        client.Kind = SpanKindCode.Client;
        client.TraceId = server.TraceId;
        client.SpanId = SpanIds.NewRandom();
        client.ParentSpanId = server.SpanId;
        client.TraceFlags = 1;
        client.Name = "GET";

        record.HasLog = true;
        record.Log.EventName = SemanticConventions.AccessEvent;
        record.Log.TraceId = server.TraceId;
        record.Log.SpanId = server.SpanId;
        record.Log.TraceFlags = 1;
        record.Log.TimeUnixNano = server.EndUnixNano;
        record.Log.Body = "GET / 502 1.5ms";
        record.Log.ShareAttributes(server.Attributes);
        return record;
    }

    private static AnyValue Value(IEnumerable<KeyValue> attributes, string key) => Assert.Single(attributes, a => a.Key == key).Value;

    private static string Text(IEnumerable<KeyValue> attributes, string key) => Value(attributes, key).StringValue;
}
