using System.Collections.Concurrent;
using Gateway.Telemetry.Records;

namespace Gateway.Correlation;

/// <summary>
/// The one owner of a connection's per-request accounting, downstream and upstream: from the
/// first request on a connection until the connection closes, one entry holds the request in
/// flight on it (whose span takes the kernel's events on the connection), the counters where
/// the previous request ended (the <c>wire.request.*</c> deltas), how many requests it carried
/// (the connection record) and the attributes every request on it repeats.
/// </summary>
/// <remarks>
/// The rules, all here:
/// <list type="number">
/// <item><see cref="Begin"/>: a request starts on a connection; its span takes the connection's events.</item>
/// <item><see cref="RequestOnConnection.Account"/>: the request is counted and gets its deltas,
/// on the entry it began on, so a connection closed meanwhile is never added back.</item>
/// <item><see cref="RequestOnConnection.Dispose"/>: the request stops taking events (both steps in either order).</item>
/// <item><see cref="Forget"/>: the connection closed. Its entry goes now or, while a request is
/// still in flight on it (a pooled upstream connection dropped mid-response), when that request
/// ends, so the kernel's last events on it (the reset) still reach its span.</item>
/// </list>
/// Keep-alive requests add and remove nothing: a request only stores itself in its connection's entry.
/// </remarks>
public sealed class ConnectionLedger
{
    private readonly ConcurrentDictionary<ConnectionTuple, Entry> entries = new();

    /// <summary>Connections that have an entry: open ones that carried a request.</summary>
    public int Count => entries.Count;

    /// <summary>Marks <paramref name="span"/> as the request in flight on <paramref name="tuple"/> until the result is disposed.</summary>
    internal RequestOnConnection Begin(ConnectionTuple tuple, SpanData span)
    {
        int generation = span.Generation;
        while (true)
        {
            var entry = entries.GetOrAdd(tuple, static key => new Entry(key));
            lock (entry)
            {
                // Removed between the lookup and the lock (its connection closed): a new one is made.
                if (entry.Removed)
                {
                    continue;
                }

                if (entry.Closed)
                {
                    // The 5-tuple was reused by a new connection before the old one's last request
                    // ended: that request keeps the old entry, the new connection gets its own.
                    Remove(entry);
                    continue;
                }

                entry.Span = span;
                entry.Generation = generation;
            }

            return new RequestOnConnection(this, entry, span, generation);
        }
    }

    /// <summary>The connection closed: returns how many requests it carried and forgets it (see the rules).</summary>
    public int Forget(ConnectionTuple tuple)
    {
        if (!entries.TryGetValue(tuple, out Entry? entry))
        {
            return 0;
        }

        lock (entry)
        {
            if (entry.Span is not null)
            {
                entry.Closed = true;
            }
            else
            {
                Remove(entry);
            }

            return entry.Requests;
        }
    }

    /// <summary>
    /// Hands a kernel event to the request in flight on <paramref name="tuple"/>; false when there
    /// is none (or its span was reused since), and the event is an anomaly.
    /// </summary>
    internal bool TryDeliver(ConnectionTuple tuple, string kind, List<KeyValuePair<string, object?>> details)
    {
        if (!entries.TryGetValue(tuple, out Entry? entry))
        {
            return false;
        }

        lock (entry)
        {
            // Under the entry's lock: once a request has stopped tracking, no event reaches its span.
            return entry.Span is { } span && WireEventRouter.AddEvent(span, entry.Generation, kind, details);
        }
    }

    // Counts one more request on the entry and returns what moved for it (null when the wire was not observed).
    internal static WireRequestDelta? Account(Entry entry, WireFacts? facts)
    {
        lock (entry)
        {
            entry.Requests++;
            if (facts is not { } now)
            {
                return null;
            }

            WireFacts? before = entry.Last;
            entry.Last = now;
            return new WireRequestDelta(
                Grown(now.PacketsIn, before?.PacketsIn),
                Grown(now.PacketsOut, before?.PacketsOut),
                Grown(now.BytesIn, before?.BytesIn),
                Grown(now.BytesOut, before?.BytesOut),
                Grown(now.RetransmitsOut, before?.RetransmitsOut));
        }
    }

    // The request holding the mark has ended: its span leaves the entry (unless a later request took it).
    internal void Leave(Entry entry, SpanData span, int generation)
    {
        lock (entry)
        {
            if (!ReferenceEquals(entry.Span, span) || entry.Generation != generation)
            {
                return;
            }

            entry.Span = null;
            if (entry.Closed)
            {
                Remove(entry);
            }
        }
    }

    // Under the entry's lock.
    private void Remove(Entry entry)
    {
        entry.Removed = true;
        entries.TryRemove(new KeyValuePair<ConnectionTuple, Entry>(entry.Tuple, entry));
    }

    // A counter never shrinks on one connection; if it did, the flow record was
    // evicted and restarted, and the whole new value belongs to this request.
    private static long Grown(long now, long? before) => before is { } b && now >= b ? now - b : now;

    /// <summary>A connection's entry.</summary>
    internal sealed class Entry(ConnectionTuple tuple)
    {
        public ConnectionTuple Tuple { get; } = tuple;

        // The request in flight and the generation of its span when it began.
        public SpanData? Span;

        public int Generation;

        // Its connection closed while a request was in flight: removed when that request ends.
        public bool Closed;

        // Out of the dictionary: a request that found it just before must make a new one.
        public bool Removed;

        // The counters where the previous request ended, and how many requests the connection carried.
        public WireFacts? Last;

        public int Requests;

        // The attributes every request on the connection repeats (see RequestOnConnection.Account).
        public SharedAttributes? Shared;
    }

    /// <summary>The 5-tuple and handshake attributes of a connection, and what they were built with.</summary>
    internal sealed record SharedAttributes(Telemetry.AttributeList Attributes, ClientIdentity.ClientAddressAnonymizer? Privacy, bool Handshake);
}
