namespace Gateway.Telemetry.Records;

/// <summary>
/// What one request (or one closed connection, or one anomaly) leaves for the exporters: its
/// spans, the server span first, and its log record. Records are pooled: the exporters hold a
/// reference each while the record waits in their queue, and the last one to let go returns
/// it to the pool, so that a warm gateway builds records without allocating them.
/// </summary>
internal sealed class TelemetryRecord
{
    private readonly List<SpanData> _spans = [];
    private readonly Stack<SpanData> _spare = new();
    private readonly RecordPool? _pool;
    private int _references;

    /// <summary>A record owned by <paramref name="pool"/> (null: not pooled, for tests).</summary>
    public TelemetryRecord(RecordPool? pool = null) => _pool = pool;

    /// <summary>The spans, the server span first; read only once the record is submitted.</summary>
    public IReadOnlyList<SpanData> Spans => _spans;

    /// <summary>False when the spans must not be exported (an unsampled parent); the log record still is.</summary>
    public bool ExportSpans { get; set; } = true;

    /// <summary>True when the record carries a log record.</summary>
    public bool HasLog { get; set; }

    /// <summary>The log record (meaningful when <see cref="HasLog"/>).</summary>
    public LogData Log { get; } = new();

    /// <summary>The per-request state built with this record (the gateway's RequestRecord), kept for reuse.</summary>
    public object? Request { get; set; }

    /// <summary>A list for building attributes before they go into a span (the request headers), reused.</summary>
    public AttributeList Scratch { get; } = new(16);

    /// <summary>
    /// True once a trace exporter could not take the record's spans (its queue was full, or they could
    /// not be encoded): its access record then has no span to point at, and is written whole
    /// (<see cref="AccessRecordFormPolicy"/>). Set by the trace sink, which the pipeline offers first.
    /// </summary>
    public bool SpansDropped { get; set; }

    /// <summary>Number of spans the trace exporters will write.</summary>
    public int ExportedSpanCount => ExportSpans ? _spans.Count : 0;

    /// <summary>Items an exporter of <paramref name="signal"/> writes: the exported spans, or the log record.</summary>
    public int ItemsFor(TelemetrySignal signal) => signal switch
    {
        TelemetrySignal.Traces => ExportedSpanCount,
        TelemetrySignal.Logs => HasLog ? 1 : 0,
        _ => 0,
    };

    /// <summary>A new, empty span of this record (reusing a pooled one); called on the request's own flow only.</summary>
    public SpanData AddSpan()
    {
        var span = _spare.Count > 0 ? _spare.Pop() : new SpanData();
        _spans.Add(span);
        return span;
    }

    /// <summary>Takes one reference per exporter that queued the record.</summary>
    public void Retain(int count = 1) => Interlocked.Add(ref _references, count);

    /// <summary>Lets go of one reference; the last one returns the record to its pool.</summary>
    public void Release()
    {
        var left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            Recycle();
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("A telemetry record was released more often than retained.");
        }
    }

    /// <summary>Returns a record nobody else holds (sampling dropped it) to the pool.</summary>
    public void Discard()
    {
        if (Volatile.Read(ref _references) == 0)
        {
            Recycle();
        }
    }

    private void Recycle()
    {
        // The last reference is gone: nobody else touches the record now.
        foreach (var span in _spans)
        {
            span.Reset();
            _spare.Push(span);
        }

        _spans.Clear();

        ExportSpans = true;
        SpansDropped = false;
        HasLog = false;
        Scratch.Clear();
        Log.Reset();
        _pool?.Return(this);
    }
}
