using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;
using OtlpTestReceiver = OtlpReceiver.OtlpTestReceiver;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>
/// The OTLP sinks encode a record when it is offered and queue only its bytes: the record goes
/// back to its pool at once, and whatever is done with it afterwards cannot change what is sent.
/// </summary>
public sealed class OtlpSinkTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    // Two such records fit in a batch, a third does not.
    private const int Big = EncodingSink.MaxBatchBytes * 2 / 5;
    private static readonly OtlpEncoder Encoder = new(new AttributeList { { "service.name", "sink-test" } }, "1");
    private OtlpTestReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await OtlpTestReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Offer_RecordReusedAtOnce_ExportsWhatItHeldWhenOffered(string protocol)
    {
        using var loss = new TelemetryLoss();
        var pool = new RecordPool();
        var tag = Guid.NewGuid().ToString("N");
        // A long delay: nothing is sent before all three records were offered and their record reused.
        var options = new BatchOptions(100, 100, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        await using (var pipeline = SpansAndLogs(loss, options, protocol))
        {
            TelemetryRecord? previous = null;
            for (var i = 0; i < 3; i++)
            {
                var record = pool.Rent();
                // The sinks kept bytes, not the record: the one submitted last is back in the pool and is filled again.
                Assert.True(previous is null || ReferenceEquals(previous, record), "the record was not returned to the pool at once");
                Fill(record, $"{tag} {i}");
                pipeline.Submit(record);
                previous = record;
            }

            Assert.Equal(0, loss.Exported);
        }

        var spans = await _receiver.WaitForSpansAsync(s => s.Name.StartsWith(tag, StringComparison.Ordinal), 3, Wait);
        var logs = await _receiver.WaitForLogsAsync(l => Equals(l.Attributes.GetValueOrDefault("test.tag"), tag), 3, Wait);
        Assert.Equal([$"{tag} 0", $"{tag} 1", $"{tag} 2"], spans.Select(s => s.Name).Order());
        Assert.All(spans, s => Assert.Equal(s.Name, s.Attributes["test.name"]));
        Assert.Equal([$"{tag} 0", $"{tag} 1", $"{tag} 2"], logs.Select(l => (string)l.Body!).Order());
        Assert.All(logs, l => Assert.Equal(l.Body, l.Attributes["test.name"]));
        Assert.Equal(6, loss.Exported);
        Assert.Empty(loss.Dropped());
    }

    [Fact]
    public async Task Offer_UnsampledSpans_OnlyTheLogRecordIsQueued()
    {
        using var loss = new TelemetryLoss();
        var pool = new RecordPool();
        var tag = Guid.NewGuid().ToString("N");
        var options = new BatchOptions(100, 100, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5));
        await using (var pipeline = SpansAndLogs(loss, options, "http/protobuf"))
        {
            var record = pool.Rent();
            Fill(record, tag);
            record.ExportSpans = false;
            pipeline.Submit(record);
        }

        await _receiver.WaitForLogAsync(l => Equals(l.Body, tag), Wait);
        Assert.DoesNotContain(_receiver.Spans, s => s.Name == tag);
        Assert.Equal(1, loss.Exported);
    }

    [Fact]
    public async Task Offer_BatchSizeReached_SendsThatBatchAloneWithoutWaitingForTheDelay()
    {
        using var loss = new TelemetryLoss();
        var pool = new RecordPool();
        var tag = Guid.NewGuid().ToString("N");
        var before = _receiver.ExportRequestCount(OtlpReceiver.OtlpSignal.Traces);
        await using (var pipeline = TracesOnly(loss, batchSize: 4))
        {
            for (var i = 0; i < 10; i++)
            {
                Submit(pipeline, pool, $"{tag} {i}");
            }

            // Two full batches of four leave at once, each in its own request; the last two wait for the delay (here: the end).
            await _receiver.WaitForSpansAsync(s => s.Name.StartsWith(tag, StringComparison.Ordinal), 8, Wait);
            Assert.Equal(before + 2, _receiver.ExportRequestCount(OtlpReceiver.OtlpSignal.Traces));
            // Counted once the receiver's answer is read, a moment after it has the spans.
            for (var deadline = DateTime.UtcNow + Wait; loss.Exported < 8 && DateTime.UtcNow < deadline;)
            {
                await Task.Delay(10);
            }

            Assert.Equal(8, loss.Exported);
        }

        await _receiver.WaitForSpansAsync(s => s.Name.StartsWith(tag, StringComparison.Ordinal), 10, Wait);
        Assert.Equal(before + 3, _receiver.ExportRequestCount(OtlpReceiver.OtlpSignal.Traces));
        Assert.Equal(10, loss.Exported);
    }

    [Fact]
    public async Task Offer_BatchBytesReached_SendsBeforeTheBatchSize()
    {
        using var loss = new TelemetryLoss();
        var pool = new RecordPool();
        var tag = Guid.NewGuid().ToString("N");
        var before = _receiver.ExportRequestCount(OtlpReceiver.OtlpSignal.Traces);
        await using (var pipeline = TracesOnly(loss, batchSize: 100))
        {
            // Records of 2/5 of the byte limit: the third would take the batch over it, so the first
            // two leave at once (long before the delay and the batch size) and the third starts the next batch.
            for (var i = 0; i < 3; i++)
            {
                Submit(pipeline, pool, $"{tag} {i}", bigAttributeLength: Big);
            }

            var first = await _receiver.WaitForSpansAsync(s => s.Name.StartsWith(tag, StringComparison.Ordinal), 2, Wait);
            Assert.Equal([$"{tag} 0", $"{tag} 1"], first.Select(s => s.Name).Order());
            Assert.Equal(before + 1, _receiver.ExportRequestCount(OtlpReceiver.OtlpSignal.Traces));

        }

        var spans = await _receiver.WaitForSpansAsync(s => s.Name.StartsWith(tag, StringComparison.Ordinal), 3, Wait);
        Assert.All(spans, s => Assert.Equal(Big, ((string)s.Attributes["test.big"]!).Length));
        Assert.Equal(before + 2, _receiver.ExportRequestCount(OtlpReceiver.OtlpSignal.Traces));
    }

    [Fact]
    public async Task Offer_RecordOverTheByteLimit_TravelsInABatchOfItsOwn()
    {
        using var loss = new TelemetryLoss();
        var pool = new RecordPool();
        var tag = Guid.NewGuid().ToString("N");
        await using (var pipeline = TracesOnly(loss, batchSize: 100))
        {
            for (var i = 0; i < 3; i++)
            {
                // The middle one alone is larger than a batch may be.
                Submit(pipeline, pool, $"{tag} {i}", bigAttributeLength: i == 1 ? EncodingSink.MaxBatchBytes + 1 : 10);
            }

            // The first left when the big one came, the big one when the third came.
            await _receiver.WaitForSpansAsync(s => s.Name.StartsWith(tag, StringComparison.Ordinal), 2, Wait);
        }

        var spans = await _receiver.WaitForSpansAsync(s => s.Name.StartsWith(tag, StringComparison.Ordinal), 3, Wait);
        Assert.Equal(EncodingSink.MaxBatchBytes + 1, ((string)spans.Single(s => s.Name == $"{tag} 1").Attributes["test.big"]!).Length);
        Assert.Equal(3, loss.Exported);
    }

    [Fact]
    public async Task Offer_FromManyThreadsAtOnce_EveryRecordArrivesExactlyOnce()
    {
        using var loss = new TelemetryLoss();
        var pool = new RecordPool();
        var tag = Guid.NewGuid().ToString("N");
        const int threads = 8;
        const int each = 250;
        var options = new BatchOptions(threads * each, 64, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5));
        await using (var pipeline = TracesOnly(loss, options))
        {
            // Each thread fills its own batches; the loop closes the ones left open when the delay is up.
            using var start = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                for (var i = 0; i < each; i++)
                {
                    Submit(pipeline, pool, $"{tag} {t}-{i}");
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());

            var spans = await _receiver.WaitForSpansAsync(s => s.Name.StartsWith(tag, StringComparison.Ordinal), threads * each, Wait);
            Assert.Equal(threads * each, spans.Select(s => s.Name).Distinct().Count());
        }

        Assert.Equal(threads * each, _receiver.Spans.Count(s => s.Name.StartsWith(tag, StringComparison.Ordinal)));
        Assert.Equal(threads * each, loss.Exported);
        Assert.Empty(loss.Dropped());
    }

    [Fact]
    public async Task Offer_ManyThreadsEachBatchPartlyFull_TheyGoBeforeTheyFillTheQueue()
    {
        using var loss = new TelemetryLoss();
        var pool = new RecordPool();
        var tag = Guid.NewGuid().ToString("N");
        const int threads = 8;
        const int each = 200;
        // Each thread's batch stays under the batch size and the delay never comes: 8 x 200 records
        // only fit through a queue of 1024 if the threads' open batches go once they hold half of it.
        var options = new BatchOptions(1024, 512, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        var sink = Sink(TelemetrySignal.Traces, options, loss, "http/protobuf");
        await using (var pipeline = new RecordPipeline([sink]))
        {
            for (var t = 0; t < threads; t++)
            {
                var n = t;
                var worker = new Thread(() =>
                {
                    for (var i = 0; i < each; i++)
                    {
                        Submit(pipeline, pool, $"{tag} {n}-{i}");
                    }
                });
                worker.Start();
                worker.Join();
                // A server's threads interleave with the export loop; here they take turns, and the
                // loop gets its turn between them (bounded: without it the queue simply stays full).
                var waited = System.Diagnostics.Stopwatch.StartNew();
                while (sink.PendingItems >= options.MaxQueueSize / 2 && waited.Elapsed < TimeSpan.FromSeconds(2))
                {
                    await Task.Delay(10);
                }
            }
        }

        Assert.Empty(loss.Dropped());
        var spans = await _receiver.WaitForSpansAsync(s => s.Name.StartsWith(tag, StringComparison.Ordinal), threads * each, Wait);
        Assert.Equal(threads * each, spans.Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public async Task Offer_ThreadEndsWithItsBatchOpen_TheRecordsLeaveWhenTheDelayIsUp()
    {
        using var loss = new TelemetryLoss();
        var pool = new RecordPool();
        var tag = Guid.NewGuid().ToString("N");
        var options = new BatchOptions(100, 100, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));
        await using var pipeline = TracesOnly(loss, options);
        var worker = new Thread(() =>
        {
            for (var i = 0; i < 3; i++)
            {
                Submit(pipeline, pool, $"{tag} {i}");
            }
        });

        worker.Start();
        worker.Join();

        // Far from the batch size, and the thread that opened the batch is gone: the loop still sends it.
        var spans = await _receiver.WaitForSpansAsync(s => s.Name.StartsWith(tag, StringComparison.Ordinal), 3, Wait);
        Assert.Equal([$"{tag} 0", $"{tag} 1", $"{tag} 2"], spans.Select(s => s.Name).Order());
    }

    // One OTLP/HTTP span sink whose batches leave only when full (the delay is 30 s) or at the end.
    private RecordPipeline TracesOnly(TelemetryLoss loss, int batchSize) =>
        TracesOnly(loss, new BatchOptions(100, batchSize, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)));

    // One OTLP/HTTP span sink batching as options say.
    private RecordPipeline TracesOnly(TelemetryLoss loss, BatchOptions options) =>
        new([Sink(TelemetrySignal.Traces, options, loss, "http/protobuf")]);

    // An OTLP span sink and an OTLP log sink over protocol, batching alike.
    private RecordPipeline SpansAndLogs(TelemetryLoss loss, BatchOptions options, string protocol) =>
        new([Sink(TelemetrySignal.Traces, options, loss, protocol), Sink(TelemetrySignal.Logs, options, loss, protocol)]);

    private OtlpSink Sink(TelemetrySignal signal, BatchOptions options, TelemetryLoss loss, string protocol) =>
        new(signal, Encoder, Transport(signal, protocol), options, loss);

    // A pooled record named name (with a test.big attribute of that many characters when asked), submitted.
    private static void Submit(RecordPipeline pipeline, RecordPool pool, string name, int bigAttributeLength = 0)
    {
        var record = pool.Rent();
        Fill(record, name);
        if (bigAttributeLength > 0)
        {
            record.Spans[0].Attributes.Add("test.big", new string('b', bigAttributeLength));
        }

        pipeline.Submit(record);
    }

    private static void Fill(TelemetryRecord record, string name)
    {
        var span = record.AddSpan();
        span.Kind = SpanKindCode.Server;
        span.TraceId = TraceId.NewRandom();
        span.SpanId = SpanIds.NewRandom();
        span.TraceFlags = 1;
        span.Name = name;
        span.StartUnixNano = UnixTime.NowNanos();
        span.EndUnixNano = span.StartUnixNano + 1000;
        span.Attributes.Add("test.name", name);
        span.Attributes.Add("test.tag", name.Split(' ')[0]);
        record.HasLog = true;
        record.Log.EventName = SemanticConventions.AccessEvent;
        record.Log.TraceId = span.TraceId;
        record.Log.SpanId = span.SpanId;
        record.Log.TimeUnixNano = span.EndUnixNano;
        record.Log.Body = name;
        record.Log.ShareAttributes(span.Attributes);
    }

    private OtlpTransport Transport(TelemetrySignal signal, string protocol)
    {
        var endpoint = protocol == "grpc" ? _receiver.GrpcEndpoint : _receiver.HttpEndpoint;
        return new OtlpTransport(OtlpExportSettings.For(
            OtlpExportSettingsTests.Config([("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.ToString()), ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)]),
            signal)!);
    }
}
