using System.Collections.Concurrent;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using KernelProbe;

namespace Gateway.Correlation;

/// <summary>
/// Turns the kernel's events into span events of the request in flight on that
/// connection, or into anomalies when none is. Requests register while they
/// run (<see cref="Track"/>); the probe's reader thread calls <see cref="Route"/>.
/// </summary>
public sealed class WireEventRouter
{
    /// <summary>Span events beyond this many per span are not added (the counters still say how many).</summary>
    public const int MaxEventsPerSpan = SpanData.MaxEvents;

    /// <summary>What every wire span event's name starts with.</summary>
    public const string EventPrefix = "wire.";

    // One entry per connection that carried a request, from its first request until it closes
    // (Forget): a request only stores itself in its connection's entry, so keep-alive requests
    // add and remove nothing, and allocate nothing.
    private readonly ConcurrentDictionary<ConnectionTuple, InFlight> inFlight = new();

    /// <summary>Anomalies: events on connections with no request in flight.</summary>
    public event Action<WireAnomaly>? Anomaly;

    /// <summary>Connections that have an entry: open ones that carried a request.</summary>
    internal int Connections => inFlight.Count;

    /// <summary>Marks <paramref name="span"/> as the request in flight on <paramref name="tuple"/> until the result is disposed.</summary>
    internal WireTracking Track(ConnectionTuple tuple, SpanData span)
    {
        int generation = span.Generation;
        while (true)
        {
            var entry = inFlight.GetOrAdd(tuple, static key => new InFlight(key));
            lock (entry)
            {
                // Removed between the lookup and the lock (its connection closed): a new one is made.
                if (entry.Removed)
                    continue;
                entry.Span = span;
                entry.Generation = generation;
                entry.Closed = false;
            }
            return new WireTracking(this, entry, span, generation);
        }
    }

    /// <summary>
    /// The connection closed: its entry goes now, or, while a request is still in flight on it
    /// (a pooled connection dropped mid-response), when that request ends, so that the kernel's
    /// last events on it (the reset) still reach its span.
    /// </summary>
    internal void Forget(ConnectionTuple tuple)
    {
        if (!inFlight.TryGetValue(tuple, out InFlight? entry))
            return;
        lock (entry)
        {
            if (entry.Span is not null)
                entry.Closed = true;
            else
                Remove(entry);
        }
    }

    /// <summary>Delivers one kernel event.</summary>
    public void Route(ProbeEvent ev)
    {
        var tuple = new ConnectionTuple(ev.Flow.LocalAddress, ev.Flow.LocalPort, ev.Flow.PeerAddress, ev.Flow.PeerPort);
        (string kind, List<KeyValuePair<string, object?>> details) = Describe(ev);
        if (inFlight.TryGetValue(tuple, out InFlight? entry))
        {
            lock (entry)
            {
                // Under the entry's lock: once a request has stopped tracking, no event reaches its span.
                // A span reused since it was tracked refuses the event: then it is an anomaly.
                if (entry.Span is { } span && AddEvent(span, entry.Generation, kind, details))
                    return;
            }
        }
        Anomaly?.Invoke(new WireAnomaly(kind, tuple, details));
    }

    // The request holding this tracking has ended: its span leaves the entry (unless a later request took it).
    internal void Leave(InFlight entry, SpanData span, int generation)
    {
        lock (entry)
        {
            if (!ReferenceEquals(entry.Span, span) || entry.Generation != generation)
                return;
            entry.Span = null;
            if (entry.Closed)
                Remove(entry);
        }
    }

    // Under the entry's lock.
    private void Remove(InFlight entry)
    {
        entry.Removed = true;
        inFlight.TryRemove(new KeyValuePair<ConnectionTuple, InFlight>(entry.Tuple, entry));
    }

    /// <summary>
    /// At the end of a request: a reset the kernel recorded on the connection but
    /// whose event has not reached the span yet (the reader thread races the
    /// request's end) is added from the flow record.
    /// </summary>
    internal static void Reconcile(SpanData span, WireFacts? facts)
    {
        if (facts?.ResetBy is not { } by)
            return;
        if (span.HasEvent(EventName(WireEventKinds.Reset)))
            return;
        AddEvent(span, span.Generation, WireEventKinds.Reset, [new(SemanticConventions.WireEventDirection, by == "peer" ? "in" : "out")]);
    }

    /// <summary>The span event name of a kind.</summary>
    public static string EventName(string kind) => EventPrefix + kind;

    private static bool AddEvent(SpanData span, int generation, string kind, List<KeyValuePair<string, object?>> details)
    {
        var attributes = new AttributeList(details.Count);
        attributes.AddRange(details);
        span.TryAddEvent(new SpanEventData(EventName(kind), UnixTime.NowNanos(), attributes), generation);
        // Refused only for a span reused since; a full span still counts as delivered (the counters say how many).
        return span.Generation == generation;
    }

    private static (string Kind, List<KeyValuePair<string, object?>> Details) Describe(ProbeEvent ev)
    {
        var details = new List<KeyValuePair<string, object?>>();
        string kind;
        switch (ev.Kind)
        {
            case ProbeEventKind.ResetIn or ProbeEventKind.ResetOut:
                kind = WireEventKinds.Reset;
                details.Add(new(SemanticConventions.WireEventDirection, ev.Kind == ProbeEventKind.ResetIn ? "in" : "out"));
                break;
            case ProbeEventKind.Retransmit:
                kind = WireEventKinds.Retransmit;
                details.Add(new(SemanticConventions.WireEventDirection, "out"));
                details.Add(new(SemanticConventions.WireEventSegments, (long)ev.Segments));
                details.Add(new(SemanticConventions.WireEventSeq, (long)ev.Seq));
                break;
            case ProbeEventKind.TtlChange:
                kind = WireEventKinds.TtlChange;
                details.Add(new(SemanticConventions.WireEventDirection, "in"));
                details.Add(new(SemanticConventions.WireIpTtl, (long)ev.Ttl));
                details.Add(new(SemanticConventions.WireEventPreviousTtl, (long)ev.PreviousTtl));
                break;
            default:
                kind = WireEventKinds.ZeroWindow;
                details.Add(new(SemanticConventions.WireEventDirection, ev.Kind == ProbeEventKind.ZeroWindowIn ? "in" : "out"));
                break;
        }
        return (kind, details);
    }

    /// <summary>A connection's entry: the request in flight on it, if any.</summary>
    internal sealed class InFlight(ConnectionTuple tuple)
    {
        public ConnectionTuple Tuple { get; } = tuple;

        public SpanData? Span;

        public int Generation;

        // Its connection closed while a request was in flight: removed when that request ends.
        public bool Closed;

        // Out of the dictionary: a request that found it just before must make a new one.
        public bool Removed;
    }
}

/// <summary>A request's mark on its connection, removed by <see cref="Dispose"/>; the default marks nothing.</summary>
internal readonly struct WireTracking : IDisposable
{
    private readonly WireEventRouter? _router;
    private readonly WireEventRouter.InFlight? _entry;
    private readonly SpanData? _span;
    private readonly int _generation;

    internal WireTracking(WireEventRouter router, WireEventRouter.InFlight entry, SpanData span, int generation)
    {
        _router = router;
        _entry = entry;
        _span = span;
        _generation = generation;
    }

    /// <summary>Stops routing the connection's events to the span; a second call does nothing.</summary>
    public void Dispose() => _router?.Leave(_entry!, _span!, _generation);
}
