namespace Gateway.Telemetry.Records;

/// <summary>
/// One span as the exporters write it. Pooled with its <see cref="TelemetryRecord"/>:
/// <see cref="Reset"/> keeps the attribute storage for the next request.
/// </summary>
internal sealed class SpanData
{
    /// <summary>Span events beyond this many per span are not added (the counters still say how many).</summary>
    public const int MaxEvents = 32;

    private readonly Lock _gate = new();
    private List<SpanEventData>? _events;
    private int _generation;

    /// <summary>The trace.</summary>
    public TraceId TraceId { get; set; }

    /// <summary>This span's id.</summary>
    public ulong SpanId { get; set; }

    /// <summary>The parent span's id; 0 for a root span.</summary>
    public ulong ParentSpanId { get; set; }

    /// <summary>True when the parent came from another process (a <c>traceparent</c> header).</summary>
    public bool ParentIsRemote { get; set; }

    /// <summary>W3C trace flags (bit 0: sampled).</summary>
    public byte TraceFlags { get; set; }

    /// <summary>The W3C <c>tracestate</c> received, passed on unchanged; null when none.</summary>
    public string? TraceState { get; set; }

    /// <summary>Server or client.</summary>
    public SpanKindCode Kind { get; set; }

    /// <summary>The span's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Start, in nanoseconds since the Unix epoch.</summary>
    public long StartUnixNano { get; set; }

    /// <summary>End, in nanoseconds since the Unix epoch.</summary>
    public long EndUnixNano { get; set; }

    /// <summary>The status code.</summary>
    public SpanStatusCode Status { get; set; }

    /// <summary>The status description (only with <see cref="SpanStatusCode.Error"/>).</summary>
    public string? StatusMessage { get; set; }

    /// <summary>The span's attributes.</summary>
    public AttributeList Attributes { get; } = new(AttributeList.RecordCapacity);

    /// <summary>Changes at every reuse; a late writer holding an old generation is ignored.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>Sets the status to error with <paramref name="message"/>.</summary>
    public void SetError(string? message = null)
    {
        Status = SpanStatusCode.Error;
        StatusMessage = message;
    }

    /// <summary>
    /// Adds an event unless the span already has <see cref="MaxEvents"/>, or has been reused since
    /// <paramref name="generation"/> was read (an event of a request that has ended). Thread-safe.
    /// </summary>
    public bool TryAddEvent(SpanEventData ev, int generation)
    {
        lock (_gate)
        {
            if (generation != _generation || (_events?.Count ?? 0) >= MaxEvents)
            {
                return false;
            }

            if (_events is null)
            {
                Volatile.Write(ref _events, []);
            }

            _events!.Add(ev);
            return true;
        }
    }

    /// <summary>True when an event named <paramref name="name"/> is there.</summary>
    public bool HasEvent(string name)
    {
        if (Volatile.Read(ref _events) is null)
        {
            return false;
        }

        lock (_gate)
        {
            return _events?.Exists(e => e.Name == name) == true;
        }
    }

    /// <summary>True when an event whose name starts with <paramref name="prefix"/> is there.</summary>
    public bool HasEventWithPrefix(string prefix)
    {
        if (Volatile.Read(ref _events) is null)
        {
            return false;
        }

        lock (_gate)
        {
            return _events?.Exists(e => e.Name.StartsWith(prefix, StringComparison.Ordinal)) == true;
        }
    }

    /// <summary>The events, copied under the lock (empty when none).</summary>
    public IReadOnlyList<SpanEventData> Events()
    {
        if (Volatile.Read(ref _events) is null)
        {
            return [];
        }

        lock (_gate)
        {
            return _events is { Count: > 0 } events ? [.. events] : [];
        }
    }

    /// <summary>Forgets everything for the next use; the attribute storage is kept.</summary>
    public void Reset()
    {
        // The generation changes first: an event racing the reset is refused (TryAddEvent reads it under the lock).
        Interlocked.Increment(ref _generation);
        if (Volatile.Read(ref _events) is not null)
        {
            lock (_gate)
            {
                _events = null;
            }
        }

        TraceId = default;
        SpanId = 0;
        ParentSpanId = 0;
        ParentIsRemote = false;
        TraceFlags = 0;
        TraceState = null;
        Name = "";
        StartUnixNano = 0;
        EndUnixNano = 0;
        Status = SpanStatusCode.Unset;
        StatusMessage = null;
        Attributes.Clear();
    }
}
