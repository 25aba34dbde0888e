using System.Diagnostics;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;

namespace Gateway.Tests.Telemetry;

/// <summary>Counting what the telemetry pipelines lose: a sink's bounded queue, its export answers.</summary>
public sealed class TelemetryLossTests
{
    [Fact]
    public async Task Sink_QueueFull_RefusesAndCountsUntilAnExportTakesItems()
    {
        using var loss = new TelemetryLoss();
        // A long delay: batches leave only when full, so the first one is exactly the first four records.
        var sink = new ScriptedSink(loss, maxQueue: 6, maxBatch: 4, delayMilliseconds: 10_000);
        var pool = new RecordPool();
        await using (var pipeline = new RecordPipeline([sink]))
        {
            // The export blocks: items stay queued (the one batch in flight has left the queue).
            sink.Hold = new TaskCompletionSource();
            for (var i = 0; i < 4; i++)
            {
                pipeline.Submit(Access(pool));
            }

            await sink.Started.Task.WaitAsync(TimeSpan.FromSeconds(5));
            for (var i = 0; i < 20; i++)
            {
                pipeline.Submit(Access(pool));
            }

            Assert.Equal(14, loss.Dropped()[(TelemetrySignal.Logs, "scripted", TelemetryLoss.QueueFull)]);
            sink.Hold.SetResult();
        }

        // Disposing exported the rest: 4 + 6 delivered, 14 counted, nothing unaccounted for.
        Assert.Equal(10, loss.Exported);
        Assert.Equal(24, loss.Exported + loss.Dropped().Values.Sum());
    }

    [Fact]
    public async Task Sink_FailureAndException_CountedAsDroppedSuccessAsExported()
    {
        using var loss = new TelemetryLoss();
        var sink = new ScriptedSink(loss, maxQueue: 100, maxBatch: 2);
        var pool = new RecordPool();
        await using (var pipeline = new RecordPipeline([sink]))
        {
            foreach (var answer in new Func<ExportOutcome>[] { () => ExportOutcome.Delivered, () => ExportOutcome.Failed, () => throw new InvalidOperationException("collector gone"), () => new ExportOutcome(true, 1) })
            {
                sink.Next = answer;
                sink.Exported = new TaskCompletionSource();
                pipeline.Submit(Access(pool));
                pipeline.Submit(Access(pool));
                await sink.Exported.Task.WaitAsync(TimeSpan.FromSeconds(5));
            }
        }

        Assert.Equal(3, loss.Exported);
        Assert.Equal(2, loss.FailedExports);
        Assert.Equal(4, loss.Dropped()[(TelemetrySignal.Logs, "scripted", TelemetryLoss.ExportFailed)]);
        Assert.Equal(1, loss.Dropped()[(TelemetrySignal.Logs, "scripted", TelemetryLoss.Rejected)]);
    }

    [Fact]
    public async Task Records_AfterExport_GoBackToThePoolAndComeOutClean()
    {
        using var loss = new TelemetryLoss();
        var sink = new ScriptedSink(loss, maxQueue: 100, maxBatch: 1);
        var pool = new RecordPool();
        var first = Access(pool);
        first.AddSpan().Attributes.Add(SemanticConventions.UrlPath, "/a");
        await using (var pipeline = new RecordPipeline([sink]))
        {
            sink.Exported = new TaskCompletionSource();
            pipeline.Submit(first);
            await sink.Exported.Task.WaitAsync(TimeSpan.FromSeconds(5));
        }

        var again = pool.Rent();
        Assert.Same(first, again);
        Assert.False(again.HasLog);
        Assert.Empty(again.Spans);
        Assert.Empty(again.Log.Attributes);
    }

    [Fact]
    public async Task TraceQueueFull_TheAccessRecordBesideItIsWrittenWhole()
    {
        using var loss = new TelemetryLoss();
        // Room for one span in flight and one queued; the export is held, so the third record's span is dropped.
        var traces = new ScriptedSink(loss, maxQueue: 1, maxBatch: 1, signal: TelemetrySignal.Traces) { Hold = new TaskCompletionSource() };
        var logs = new FormProbeSink(loss);
        var pool = new RecordPool();
        await using (var pipeline = new RecordPipeline([traces, logs]))
        {
            pipeline.Submit(Access(pool, withSpan: true));
            await traces.Started.Task.WaitAsync(TimeSpan.FromSeconds(5));
            pipeline.Submit(Access(pool, withSpan: true));
            pipeline.Submit(Access(pool, withSpan: true));
            traces.Hold.SetResult();
        }

        Assert.Equal(1, loss.Dropped()[(TelemetrySignal.Traces, "scripted", TelemetryLoss.QueueFull)]);
        // Core while its span went out; whole once the span was dropped, so nothing of the request is lost.
        Assert.Equal([true, true, false], logs.Core);
    }

    private static TelemetryRecord Access(RecordPool pool, bool withSpan = false)
    {
        var record = pool.Rent();
        record.HasLog = true;
        record.Log.EventName = SemanticConventions.AccessEvent;
        if (withSpan)
        {
            var span = record.AddSpan();
            span.Attributes.Add(SemanticConventions.HttpRequestMethod, "GET");
            record.Log.ShareAttributes(span.Attributes);
        }
        else
        {
            record.Log.Attributes.Add(SemanticConventions.WireObserved, false);
        }

        return record;
    }

    // OTLP logs beside OTLP traces decide the form when they encode a record: this one notes the decision.
    private sealed class FormProbeSink(TelemetryLoss loss)
        : RecordSink("probe", TelemetrySignal.Logs, new BatchOptions(100, 10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5)), loss)
    {
        private readonly AccessRecordFormPolicy policy = AccessRecordFormPolicy.BesideSpans(Gateway.Configuration.AccessRecordForm.Auto);

        public List<bool> Core { get; } = [];

        public override int ItemsOf(TelemetryRecord record) => record.HasLog ? 1 : 0;

        protected override Task<ExportOutcome> ExportAsync(IReadOnlyList<TelemetryRecord> batch, int items, CancellationToken cancellationToken)
        {
            lock (Core)
            {
                foreach (var record in batch)
                {
                    Core.Add(policy.IsCore(record));
                }
            }

            return Task.FromResult(ExportOutcome.Delivered);
        }
    }

    private sealed class ScriptedSink(TelemetryLoss loss, int maxQueue, int maxBatch, int delayMilliseconds = 20, TelemetrySignal signal = TelemetrySignal.Logs)
        : RecordSink("scripted", signal, new BatchOptions(maxQueue, maxBatch, TimeSpan.FromMilliseconds(delayMilliseconds), TimeSpan.FromSeconds(5)), loss)
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource? Hold { get; set; }

        public TaskCompletionSource? Exported { get; set; }

        public Func<ExportOutcome> Next { get; set; } = () => ExportOutcome.Delivered;

        public override int ItemsOf(TelemetryRecord record) => record.ItemsFor(Signal);

        protected override async Task<ExportOutcome> ExportAsync(IReadOnlyList<TelemetryRecord> batch, int items, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            if (Hold is { } hold)
            {
                await hold.Task;
            }

            try
            {
                return Next();
            }
            finally
            {
                // Completed after the answer is counted: the next submission sees the counts of this one.
                _ = Task.Run(async () =>
                {
                    await Task.Delay(50);
                    Exported?.TrySetResult();
                });
            }
        }
    }
}
