using System.Diagnostics;
using System.Text;
using Gateway.Configuration;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;

namespace Gateway.Tests.Telemetry;

/// <summary>The console lines: every record printed, in few writes, promptly.</summary>
public sealed class ConsoleSinkTests
{
    // The gateway's own batching of the embedded sinks (TelemetryRegistration).
    private static readonly BatchOptions SinkOptions = new(8192, 512, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Burst_OfAccessRecords_EveryLineArrivesInFewWrites()
    {
        const int count = 5000;
        var output = new RecordingStream();
        using var loss = new TelemetryLoss();
        await using (var pipeline = new RecordPipeline([new ConsoleSink(output, SinkOptions, loss)]))
        {
            // Four threads at once, as requests on several cores.
            await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
            {
                for (var i = 0; i < count / 4; i++)
                {
                    pipeline.Submit(Access(pipeline, $"/burst/{t}/{i}", observed: i % 2 == 0));
                }
            })));
        }

        var lines = output.Lines();
        Assert.Equal(count, lines.Length);
        Assert.Equal(count, lines.Distinct().Count());
        Assert.All(lines, l => Assert.Matches(@"^GET /burst/[0-3]/[0-9]+ -> 200 3\.2ms route=demo (wire ttl=64 mss=1460 in=3/78B out=2/230B|wire=off)$", l));
        Assert.Equal(count, loss.Exported);
        Assert.Empty(loss.Dropped());
        // Batched: one write per batch of up to 512 lines, not one per line.
        Assert.InRange(output.Writes, 1, count / 100);
    }

    [Fact]
    public async Task OneRecord_WhenIdle_IsPrintedWithinASecond()
    {
        var output = new RecordingStream();
        using var loss = new TelemetryLoss();
        await using var pipeline = new RecordPipeline([new ConsoleSink(output, SinkOptions, loss)]);
        // The loop is running and idle.
        await Task.Delay(300);

        var watch = Stopwatch.StartNew();
        pipeline.Submit(Access(pipeline, "/idle", observed: false));
        while (output.Lines().Length == 0 && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10);
        }

        Assert.Equal("GET /idle -> 200 3.2ms route=demo wire=off", Assert.Single(output.Lines()));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"printed after {watch.Elapsed.TotalMilliseconds:0} ms");
    }

    [Theory]
    [InlineData(AccessRecordForm.Auto, "GET /f -> 200 3.2ms route=demo wire ttl=64 mss=1460 in=3/78B out=2/230B")]
    [InlineData(AccessRecordForm.Full, "GET /f -> 200 3.2ms route=demo wire ttl=64 mss=1460 in=3/78B out=2/230B")]
    [InlineData(AccessRecordForm.Core, "GET /f -> 200 3.2ms route=demo wire")]
    public async Task AccessRecord_InEachForm_FollowsTheJsonLinesRule(AccessRecordForm form, string expected)
    {
        var output = new RecordingStream();
        using var loss = new TelemetryLoss();
        await using (var pipeline = new RecordPipeline([new ConsoleSink(output, SinkOptions, loss, AccessRecordFormPolicy.OnlyCopy(form))]))
        {
            pipeline.Submit(Access(pipeline, "/f", observed: true));
        }

        Assert.Equal(expected, Assert.Single(output.Lines()));
    }

    [Fact]
    public async Task AnomalyRecord_IsOneEscapedWireLine_OtherRecordsAreNotPrinted()
    {
        var output = new RecordingStream();
        using var loss = new TelemetryLoss();
        await using (var pipeline = new RecordPipeline([new ConsoleSink(output, SinkOptions, loss)]))
        {
            var anomaly = pipeline.Rent();
            anomaly.HasLog = true;
            anomaly.Log.EventName = SemanticConventions.AnomalyEvent;
            anomaly.Log.Body = "reset by peer\r\nGET /forged";
            pipeline.Submit(anomaly);
            var connection = pipeline.Rent();
            connection.HasLog = true;
            connection.Log.EventName = SemanticConventions.ConnectionEvent;
            connection.Log.Body = "closed";
            pipeline.Submit(connection);
        }

        Assert.Equal(@"WIRE reset by peer\x0D\x0AGET /forged", Assert.Single(output.Lines()));
    }

    private static TelemetryRecord Access(RecordPipeline pipeline, string path, bool observed)
    {
        var record = pipeline.Rent();
        var span = record.AddSpan();
        var attributes = span.Attributes;
        attributes.Add(SemanticConventions.HttpRequestMethod, "GET");
        attributes.Add(SemanticConventions.UrlPath, path);
        attributes.Add(SemanticConventions.HttpResponseStatusCode, 200L);
        attributes.Add("http.request.header.x-test", new[] { "t" });
        if (observed)
        {
            // The connection's facts are a group, as the request path adds them.
            attributes.AddGroup(new AttributeList { { "wire.ip.ttl", 64L }, { "wire.tcp.mss", 1460L } });
        }

        attributes.Add(SemanticConventions.GatewayRouteId, "demo");
        attributes.Add(SemanticConventions.WireObserved, observed);
        if (observed)
        {
            attributes.Add(SemanticConventions.WireConnPacketsIn, 3L);
            attributes.Add(SemanticConventions.WireConnBytesIn, 78L);
            attributes.Add(SemanticConventions.WireConnPacketsOut, 2L);
            attributes.Add(SemanticConventions.WireConnBytesOut, 230L);
        }

        attributes.Add(SemanticConventions.GatewayRequestDurationMs, 3.24);
        record.HasLog = true;
        record.Log.EventName = SemanticConventions.AccessEvent;
        record.Log.ShareAttributes(attributes);
        return record;
    }

    /// <summary>Standard output as the test sees it: the bytes, and how many writes brought them.</summary>
    private sealed class RecordingStream : Stream
    {
        private readonly MemoryStream _bytes = new();
        private int _writes;

        public int Writes => Volatile.Read(ref _writes);

        public string[] Lines()
        {
            lock (_bytes)
            {
                return Encoding.UTF8.GetString(_bytes.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_bytes)
            {
                _bytes.Write(buffer);
                _writes++;
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
