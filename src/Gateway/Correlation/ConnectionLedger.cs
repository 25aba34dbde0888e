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
/// <item><see cref="Begin"/>: a request starts on a connection; its span takes the connection's events.
/// On a connection that carries several requests at once (<see cref="IsMultiplexed"/>: HTTP/2 and 3,
/// up- and downstream) no segment is one request's: the request is counted, its span takes no events
/// (they become anomalies) and it gets no share of the counters (<c>wire.request.omitted=multiplexed</c>).</item>
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

    /// <summary>True for the HTTP versions whose connections carry several requests at once (2 and 3): no per-request share, no events to one request.</summary>
    public static bool IsMultiplexed(Version? protocol) => protocol is { Major: >= 2 };

    /// <summary>
    /// Marks <paramref name="span"/> as the request in flight on <paramref name="tuple"/> until the result is
    /// disposed; <paramref name="protocol"/>, the HTTP version spoken on the connection (null: one request at a
    /// time), decides whether it can be (see the rules). <paramref name="began"/>: where the request begins in
    /// the connection's streams, when its caller knows it before its first byte (the upstream leg: the gateway
    /// writes the request); its window then starts at the counters <paramref name="view"/> shows now, checked
    /// against it, whatever order the connection's requests are recorded in.
    /// </summary>
    internal RequestOnConnection Begin(ConnectionTuple tuple, SpanData span, Version? protocol = null, IWireView? view = null, StreamEnds? began = null)
    {
        if (IsMultiplexed(protocol))
        {
            return new RequestOnConnection(this, entries.GetOrAdd(tuple, static key => new Entry(key)), span, span.Generation, multiplexed: true);
        }

        RequestStart? start = null;
        if (began is { } from)
        {
            // Before the request's first byte: the kernel has sent and received exactly what came before it.
            var now = view?.Lookup(tuple);
            start = new RequestStart(from, now is { } at && at.ReceivedOffset == from.Received && at.SentOffset == from.Sent ? CountersOf(at) : null);
        }

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
                if (entry.Pending is { } ends && view is not null)
                {
                    // The previous response was still leaving when its request ended; this request began
                    // after the client had it all: the turn that began this one is where it ended.
                    var facts = view.Lookup(tuple);
                    var share = facts is { } now ? Settle(entry, now, ends) : WireRequestShare.LeftOut(WireRequestOmitted.Unsettled);
                    if (!share.Pending)
                    {
                        Resolve(entry, ends, share, facts);
                    }
                }
            }

            return new RequestOnConnection(this, entry, span, generation, multiplexed: false, start);
        }
    }

    /// <summary>
    /// The connection closed: returns how many requests it carried and forgets it (see the rules).
    /// <paramref name="last"/>, the connection's final facts, settles a request whose response was
    /// still leaving when it ended: the response left before the close, or it never will.
    /// </summary>
    public int Forget(ConnectionTuple tuple, WireFacts? last = null)
    {
        if (!entries.TryGetValue(tuple, out Entry? entry))
        {
            return 0;
        }

        lock (entry)
        {
            if (entry.Pending is { } ends)
            {
                var share = last is { } final ? Settle(entry, final, ends) : WireRequestShare.Waiting;
                Resolve(entry, ends, share.Pending ? WireRequestShare.LeftOut(WireRequestOmitted.Unsettled) : share, last);
            }

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

    // Counts one more request on the entry; its share of the counters when it can be known now.
    internal static WireRequestShare Account(Entry entry, WireFacts? facts, StreamEnds? ends, bool multiplexed, RequestStart? start)
    {
        lock (entry)
        {
            entry.Requests++;
            if (multiplexed)
            {
                return facts is null ? WireRequestShare.NotObserved : WireRequestShare.LeftOut(WireRequestOmitted.Multiplexed);
            }

            if (start is { } known)
            {
                return facts is null ? WireRequestShare.NotObserved : ends is { } end ? SettleFrom(known, facts.Value, end) : WireRequestShare.LeftOut(WireRequestOmitted.Overlap);
            }

            if (entry.Pending is { } unsettled)
            {
                // The previous request never settled (its response still leaving when this one ended):
                // it is left out, and this one starts from an unknown point.
                Resolve(entry, unsettled, WireRequestShare.LeftOut(WireRequestOmitted.Unsettled), facts);
                entry.Start = null;
            }

            if (facts is null)
            {
                entry.Start = null;
                return WireRequestShare.NotObserved;
            }

            if (ends is null)
            {
                entry.Start = null;
                return WireRequestShare.LeftOut(WireRequestOmitted.Overlap);
            }

            var share = Settle(entry, facts.Value, ends.Value);
            if (share.Pending)
            {
                entry.Pending = ends;
            }

            return share;
        }
    }

    // A pending request asks again with fresher facts; another request (or the close) may have settled it
    // meanwhile. at: the facts the share was taken from, whose totals go on the record with it.
    internal static WireRequestShare Retry(Entry entry, StreamEnds ends, WireFacts? facts, bool last, out WireFacts? at)
    {
        lock (entry)
        {
            if (entry.Pending != ends)
            {
                // Settled meanwhile by the next request's Begin or Account, or by the connection's close.
                bool mine = entry.SettledEnds == ends && entry.SettledShare is not null;
                at = mine ? entry.SettledFacts : facts;
                return mine ? entry.SettledShare!.Value : WireRequestShare.LeftOut(WireRequestOmitted.Unsettled);
            }

            at = facts;
            // No facts while pending: the connection is closing (its flow is being handed to Forget), which settles it.
            var share = facts is { } now ? Settle(entry, now, ends) : WireRequestShare.Waiting;
            if (share.Pending && last)
            {
                share = WireRequestShare.LeftOut(WireRequestOmitted.Unsettled);
                entry.Start = null;
                entry.StartEnds = ends;
            }

            if (!share.Pending)
            {
                entry.Pending = null;
            }

            return share;
        }
    }

    // Completes when the pending request that ends at ends is settled by someone else: the next request
    // on the connection (Begin, Account) or its close (Forget).
    internal static Task WhenSettled(Entry entry, StreamEnds ends)
    {
        lock (entry)
        {
            if (entry.Pending != ends)
            {
                return Task.CompletedTask;
            }

            entry.Waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return entry.Waiter.Task;
        }
    }

    // Under the entry's lock: a pending request's share, decided by someone else than the request,
    // from facts (whose totals go on its record).
    private static void Resolve(Entry entry, StreamEnds ends, WireRequestShare share, WireFacts? facts)
    {
        entry.Pending = null;
        entry.SettledEnds = ends;
        entry.SettledShare = share;
        entry.SettledFacts = facts;
        // Its record waits off the request's path; the continuation runs elsewhere, not under this lock.
        entry.Waiter?.TrySetResult();
        entry.Waiter = null;
    }

    /// <summary>
    /// The rule of a request's share, under the entry's lock. The request's window runs from where the
    /// previous request ended (<see cref="Entry.Start"/>) to where this one ends: the point where the
    /// kernel had received exactly the request's last byte (<paramref name="ends"/>.Received) and sent
    /// exactly its response's last byte (<paramref name="ends"/>.Sent). Either the flow's counters now
    /// are that point (nothing of the next request has arrived and the response has left), or the
    /// counters kept at the latest turn are (the next request began right there). Anything else is
    /// left out, or waits while the response is still leaving.
    /// </summary>
    private static WireRequestShare Settle(Entry entry, in WireFacts facts, StreamEnds ends)
    {
        if (facts.ReceivedOffset is not { } received || facts.SentOffset is not { } sent)
        {
            entry.Start = null;
            entry.StartEnds = ends;
            return WireRequestShare.LeftOut(WireRequestOmitted.NoSequence);
        }

        var turn = facts.Turn;
        bool turnEndsIt = facts.Turns > 0 && turn.ReceivedOffset == ends.Received && turn.SentOffset == ends.Sent;
        WireRequestDelta? end = received == ends.Received && sent == ends.Sent ? CountersOf(facts) : turnEndsIt ? Counters(turn) : null;
        if (end is null)
        {
            // Nothing of the next request yet, but the response has not all left: ask again. One past the
            // response's end is the gateway's FIN whose flag the reader did not see yet (see FlowView.SentOffset):
            // no payload byte can follow a response before the next request arrives.
            if (received == ends.Received && (Before(sent, ends.Sent) || sent == ends.Sent + 1))
            {
                return WireRequestShare.Waiting;
            }

            entry.Start = null;
            entry.StartEnds = ends;
            return WireRequestShare.LeftOut(WireRequestOmitted.Overlap);
        }

        // Where this request began: known, or (after a request that was left out) the turn that began it.
        var start = entry.Start;
        if (start is null && facts.Turns > 0 && turn.ReceivedOffset == entry.StartEnds.Received && turn.SentOffset == entry.StartEnds.Sent && !turnEndsIt)
        {
            start = Counters(turn);
        }

        var began = entry.StartEnds;
        entry.Start = end;
        entry.StartEnds = ends;
        if (start is not { } from)
        {
            return WireRequestShare.LeftOut(WireRequestOmitted.Overlap);
        }

        // Segments as counted (a segment sent again counts again, as the peer receives it again);
        // bytes by sequence number, each once: exactly the request's and the response's bytes.
        var to = end.Value;
        return new WireRequestShare(new WireRequestDelta(
            to.PacketsIn - from.PacketsIn, to.PacketsOut - from.PacketsOut, (uint)(ends.Received - began.Received), (uint)(ends.Sent - began.Sent),
            to.RetransmitsOut - from.RetransmitsOut), null, false);
    }

    /// <summary>
    /// The rule of a request that knows where it began (<see cref="RequestStart"/>): its window runs from
    /// there to the point where the kernel had received and sent exactly up to its ends, which the flow's
    /// counters now must be. On the upstream leg they are (the response was read to its end, and the next
    /// request on the connection has not been written) unless another request already took the connection:
    /// then, or when the start did not check out, it is left out.
    /// </summary>
    private static WireRequestShare SettleFrom(RequestStart start, in WireFacts facts, StreamEnds ends)
    {
        if (facts.ReceivedOffset is not { } received || facts.SentOffset is not { } sent)
        {
            return WireRequestShare.LeftOut(WireRequestOmitted.NoSequence);
        }

        if (received != ends.Received || sent != ends.Sent)
        {
            return received == ends.Received && Before(sent, ends.Sent) ? WireRequestShare.Waiting : WireRequestShare.LeftOut(WireRequestOmitted.Overlap);
        }

        if (start.Counters is not { } from)
        {
            return WireRequestShare.LeftOut(WireRequestOmitted.Overlap);
        }

        var to = CountersOf(facts);
        return new WireRequestShare(new WireRequestDelta(
            to.PacketsIn - from.PacketsIn, to.PacketsOut - from.PacketsOut, (uint)(ends.Received - start.Began.Received), (uint)(ends.Sent - start.Began.Sent),
            to.RetransmitsOut - from.RetransmitsOut), null, false);
    }

    private static WireRequestDelta CountersOf(in WireFacts facts) =>
        new(facts.DataPacketsIn, facts.DataPacketsOut, facts.BytesIn, facts.BytesOut, facts.RetransmitsOut);

    private static WireRequestDelta Counters(in KernelProbe.FlowTurn turn) =>
        new((long)turn.DataPacketsIn, (long)turn.DataPacketsOut, (long)turn.BytesIn, (long)turn.BytesOut, (long)turn.RetransmitsOut);

    // a before b in sequence space (modulo 2^32)
    private static bool Before(uint a, uint b) => (int)(a - b) < 0;

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

        // Where the current request's window began: the counters (since the connection opened) at
        // the previous request's end, null when unknown, and that end's stream offsets.
        public WireRequestDelta? Start = new WireRequestDelta(0, 0, 0, 0, 0);

        public StreamEnds StartEnds;

        // A request whose response was still leaving when it ended (its ends), and the share of the
        // latest one someone else settled (the next request's Begin, or its Account giving up).
        public StreamEnds? Pending;

        public StreamEnds SettledEnds;

        public WireRequestShare? SettledShare;

        public WireFacts? SettledFacts;

        // The record of the pending request, waiting for someone else to settle it (see WhenSettled).
        public TaskCompletionSource? Waiter;

        // Requests the connection carried.
        public int Requests;

        // The attributes every request on the connection repeats (see RequestOnConnection.Account).
        public SharedAttributes? Shared;
    }

    /// <summary>Where a request that knew it began (its stream offsets), and the counters there; null when they did not check out.</summary>
    internal readonly record struct RequestStart(StreamEnds Began, WireRequestDelta? Counters);

    /// <summary>The 5-tuple and handshake attributes of a connection, and what they were built with.</summary>
    internal sealed record SharedAttributes(Telemetry.AttributeList Attributes, IPeerAddressFormat? Privacy, bool Handshake);
}
