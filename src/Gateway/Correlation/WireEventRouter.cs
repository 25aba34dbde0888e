using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using KernelProbe;

namespace Gateway.Correlation;

/// <summary>
/// Turns the kernel's events into span events of the request in flight on that
/// connection (the <see cref="ConnectionLedger"/> knows which), or into anomalies when
/// none is. The probe's reader thread calls <see cref="Route"/>.
/// </summary>
public sealed class WireEventRouter(ConnectionLedger ledger)
{
    /// <summary>Span events beyond this many per span are not added (the counters still say how many).</summary>
    public const int MaxEventsPerSpan = SpanData.MaxEvents;

    /// <summary>What every wire span event's name starts with.</summary>
    public const string EventPrefix = "wire.";

    /// <summary>Anomalies: events on connections with no request in flight.</summary>
    public event Action<WireAnomaly>? Anomaly;

    /// <summary>Delivers one kernel event.</summary>
    public void Route(ProbeEvent ev)
    {
        var tuple = new ConnectionTuple(ev.Flow.LocalAddress, ev.Flow.LocalPort, ev.Flow.PeerAddress, ev.Flow.PeerPort);
        (string kind, List<KeyValuePair<string, object?>> details) = Describe(ev);
        if (!ledger.TryDeliver(tuple, kind, details))
            Anomaly?.Invoke(new WireAnomaly(kind, tuple, details));
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
        AddEvent(span, span.Generation, WireEventKinds.Reset, [new(SemanticConventions.WireEventDirection.Name, by == "peer" ? "in" : "out")]);
    }

    /// <summary>The span event name of a kind.</summary>
    public static string EventName(string kind) => EventPrefix + kind;

    // Refused (false) when the span was reused since the request began (then the event is an anomaly).
    internal static bool AddEvent(SpanData span, int generation, string kind, List<KeyValuePair<string, object?>> details)
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
                details.Add(new(SemanticConventions.WireEventDirection.Name, ev.Kind == ProbeEventKind.ResetIn ? "in" : "out"));
                break;
            case ProbeEventKind.Retransmit:
                kind = WireEventKinds.Retransmit;
                details.Add(new(SemanticConventions.WireEventDirection.Name, "out"));
                details.Add(new(SemanticConventions.WireEventSegments.Name, (long)ev.Segments));
                details.Add(new(SemanticConventions.WireEventSeq.Name, (long)ev.Seq));
                break;
            case ProbeEventKind.TtlChange:
                kind = WireEventKinds.TtlChange;
                details.Add(new(SemanticConventions.WireEventDirection.Name, "in"));
                details.Add(new(SemanticConventions.WireIpTtl.Name, (long)ev.Ttl));
                details.Add(new(SemanticConventions.WireEventPreviousTtl.Name, (long)ev.PreviousTtl));
                break;
            default:
                kind = WireEventKinds.ZeroWindow;
                details.Add(new(SemanticConventions.WireEventDirection.Name, ev.Kind == ProbeEventKind.ZeroWindowIn ? "in" : "out"));
                break;
        }
        return (kind, details);
    }
}
