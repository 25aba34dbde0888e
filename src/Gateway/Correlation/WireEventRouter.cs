using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Telemetry;
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
    public const int MaxEventsPerSpan = 32;

    private readonly ConcurrentDictionary<ConnectionTuple, Activity> inFlight = new();

    /// <summary>Anomalies: events on connections with no request in flight.</summary>
    public event Action<WireAnomaly>? Anomaly;

    /// <summary>Marks <paramref name="activity"/> as the request in flight on <paramref name="tuple"/> until disposed.</summary>
    public IDisposable Track(ConnectionTuple tuple, Activity activity)
    {
        inFlight[tuple] = activity;
        return new Registration(this, tuple, activity);
    }

    /// <summary>Delivers one kernel event.</summary>
    public void Route(ProbeEvent ev)
    {
        var tuple = new ConnectionTuple(ev.Flow.LocalAddress, ev.Flow.LocalPort, ev.Flow.PeerAddress, ev.Flow.PeerPort);
        (string kind, List<KeyValuePair<string, object?>> details) = Describe(ev);
        if (inFlight.TryGetValue(tuple, out Activity? activity))
        {
            AddEvent(activity, kind, details);
            return;
        }
        Anomaly?.Invoke(new WireAnomaly(kind, tuple, details));
    }

    /// <summary>
    /// At the end of a request: a reset the kernel recorded on the connection but
    /// whose event has not reached the span yet (the reader thread races the
    /// request's end) is added from the flow record.
    /// </summary>
    public static void Reconcile(Activity activity, WireFacts? facts)
    {
        if (facts?.ResetBy is not { } by)
            return;
        string name = EventName(WireEventKinds.Reset);
        foreach (ActivityEvent existing in activity.Events)
        {
            if (existing.Name == name)
                return;
        }
        AddEvent(activity, WireEventKinds.Reset, [new(SemanticConventions.WireEventDirection, by == "peer" ? "in" : "out")]);
    }

    /// <summary>The span event name of a kind.</summary>
    public static string EventName(string kind) => "wire." + kind;

    private static void AddEvent(Activity activity, string kind, List<KeyValuePair<string, object?>> details)
    {
        int count = 0;
        foreach (ActivityEvent _ in activity.Events)
        {
            if (++count >= MaxEventsPerSpan)
                return;
        }
        activity.AddEvent(new ActivityEvent(EventName(kind), tags: new ActivityTagsCollection(details)));
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

    private sealed class Registration(WireEventRouter router, ConnectionTuple tuple, Activity activity) : IDisposable
    {
        public void Dispose() => router.inFlight.TryRemove(new KeyValuePair<ConnectionTuple, Activity>(tuple, activity));
    }
}
