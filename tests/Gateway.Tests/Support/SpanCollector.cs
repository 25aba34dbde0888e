using System.Collections.Concurrent;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;

namespace Gateway.Tests.Support;

/// <summary>A span as it was exported, copied out of the pooled record.</summary>
internal sealed record CollectedSpan(
    string TraceId,
    string SpanId,
    string ParentSpanId,
    SpanKindCode Kind,
    string Name,
    SpanStatusCode Status,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<string> Events)
{
    public object? Tag(string name) => Attributes.GetValueOrDefault(name);
}

/// <summary>
/// A span sink registered into an in-process gateway (<c>services.AddSingleton&lt;TelemetrySink&gt;(sink)</c>):
/// it keeps the exported spans of the traces a test started itself (tests run in parallel).
/// </summary>
internal sealed class TraceSpanCollector()
    : RecordSink("test", TelemetrySignal.Traces, new BatchOptions(4096, 64, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5)), new TelemetryLoss())
{
    private readonly ConcurrentDictionary<string, string> _traces = new();
    private readonly ConcurrentQueue<CollectedSpan> _exported = new();

    public IReadOnlyList<CollectedSpan> Exported => [.. _exported];

    /// <summary>A new trace, labelled <paramref name="label"/>; its id in hex.</summary>
    public string NewTrace(string label = "")
    {
        var traceId = TraceId.NewRandom().ToHex();
        _traces[traceId] = label;
        return traceId;
    }

    /// <summary>A traceparent value continuing <paramref name="traceId"/> from a new parent span.</summary>
    public static string Header(string traceId) => $"00-{traceId}-{SpanIds.ToHex(SpanIds.NewRandom())}-01";

    /// <summary>A <c>traceparent:</c> header line of a new trace labelled <paramref name="label"/>.</summary>
    public string TraceParent(string label) => $"traceparent: {Header(NewTrace(label))}";

    /// <summary>The label of the request the span belongs to.</summary>
    public string Label(CollectedSpan span) => _traces[span.TraceId];

    /// <summary>Waits until the exported spans satisfy <paramref name="done"/>; returns them.</summary>
    public async Task<IReadOnlyList<CollectedSpan>> WaitForAsync(Func<IReadOnlyList<CollectedSpan>, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var spans = Exported;
            if (done(spans))
            {
                return spans;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the spans never matched; have {spans.Count}: {string.Join(", ", spans.Select(s => $"{s.Kind} {s.Name} {s.SpanId}"))}");
            }

            await Task.Delay(20);
        }
    }

    public override int ItemsOf(TelemetryRecord record) => record.ExportedSpanCount;

    protected override Task<ExportOutcome> ExportAsync(IReadOnlyList<TelemetryRecord> batch, int items, CancellationToken cancellationToken)
    {
        foreach (var record in batch)
        {
            foreach (var span in record.Spans)
            {
                var traceId = span.TraceId.ToHex();
                if (_traces.ContainsKey(traceId))
                {
                    _exported.Enqueue(new CollectedSpan(traceId, SpanIds.ToHex(span.SpanId), SpanIds.ToHex(span.ParentSpanId), span.Kind, span.Name, span.Status,
                        span.Attributes.GroupBy(a => a.Key).ToDictionary(g => g.Key, g => g.First().Value),
                        [.. span.Events().Select(e => e.Name)]));
                }
            }
        }

        return Task.FromResult(ExportOutcome.Delivered);
    }
}
