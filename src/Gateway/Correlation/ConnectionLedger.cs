using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Rules;
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
/// <item><see cref="Wait"/>: a request whose response was still leaving when it ended, or may still be sent
/// again in part (a tail loss probe, a timeout: until the client's acknowledgment of its last byte reaches the
/// gateway's TCP), waits for its share off the request's path. The next request on the connection settles it
/// (from the kernel's turn on the way in, the counters then on the way out), or the close (from the final
/// facts), or else one timer for the whole ledger, which looks the flow up again every <see cref="RetryPeriod"/>
/// while anything waits and settles it one look after the client's acknowledgment showed, for at most
/// <see cref="MaxSettleWait"/>. On the connections the gateway answers, every request waits so.</item>
/// </list>
/// Keep-alive requests add and remove nothing: a request only stores itself in its connection's entry.
/// </remarks>
public sealed class ConnectionLedger : IDisposable
{
    /// <summary>How often the retry timer looks again at the flows of waiting requests.</summary>
    internal static readonly TimeSpan RetryPeriod = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The longest a request waits for its response's last bytes before it is left out as unsettled
    /// (Kestrel's minimum response data rate and keep-alive timeout end most such connections sooner,
    /// and their close settles it).
    /// </summary>
    internal static readonly TimeSpan MaxSettleWait = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<ConnectionTuple, Entry> entries = new();

    // Entries whose pending request has a waiter, for the retry timer; an entry settled by someone
    // else leaves at the timer's next round. The timer runs only while this is not empty.
    private readonly HashSet<Entry> waiting = [];
    private readonly Timer retryTimer;
    private bool retryArmed;

    private readonly TimeSpan retryPeriod;

    // True: a share the next request's Begin settles is delivered on the thread pool (see Begin).
    private readonly bool handOffFromBegin;

    /// <summary>Creates an empty ledger; its retry timer runs only while a request waits.</summary>
    public ConnectionLedger()
        : this(RetryPeriod)
    {
    }

    /// <summary>
    /// A ledger whose timer retries every <paramref name="retryPeriod"/> (infinite: never; tests call
    /// <see cref="RetryWaiting"/>). <paramref name="handOffFromBegin"/> false: a share settled by the next
    /// request's <see cref="Begin"/> is delivered on the caller's thread before Begin returns (tests that
    /// check it in sequence).
    /// </summary>
    internal ConnectionLedger(TimeSpan retryPeriod, bool handOffFromBegin = true)
    {
        this.retryPeriod = retryPeriod;
        this.handOffFromBegin = handOffFromBegin;
        retryTimer = new Timer(static state => ((ConnectionLedger)state!).RetryWaiting(Stopwatch.GetTimestamp()), this, Timeout.Infinite, Timeout.Infinite);
    }

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
    /// against it, whatever order the connection's requests are recorded in. <paramref name="answers"/>: the
    /// gateway answers the request on this connection (downstream), so what it sends is a response whose last
    /// segments the kernel may send again after the request ended (see the rules); false on the upstream leg,
    /// which records itself once it read the response to its end.
    /// </summary>
    internal RequestOnConnection Begin(ConnectionTuple tuple, SpanData span, Version? protocol = null, IWireView? view = null, StreamEnds? began = null,
        bool answers = true)
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
        Settlement settled = default;
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
                    var share = facts is { } now ? Settle(entry, now, ends, After.LaterRequest) : WireRequestShare.LeftOut(WireRequestOmitted.Unsettled);
                    if (!share.Pending)
                    {
                        settled = Resolve(entry, ends, share, facts);
                    }
                }
            }

            // The previous request's record (its rules, sampling, the sinks' queues) completes off this
            // request's path: the share was taken from the facts read here, so when it is delivered does
            // not change it.
            settled.Deliver(later: handOffFromBegin);

            return new RequestOnConnection(this, entry, span, generation, multiplexed: false, start, answers);
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

        Settlement settled = default;
        int requests;
        lock (entry)
        {
            if (entry.Pending is { } ends)
            {
                var share = last is { } final ? Settle(entry, final, ends, After.Close) : WireRequestShare.Waiting;
                settled = Resolve(entry, ends, share.Pending ? WireRequestShare.LeftOut(WireRequestOmitted.Unsettled) : share, last);
            }

            if (entry.Span is not null)
            {
                entry.Closed = true;
            }
            else
            {
                Remove(entry);
            }

            requests = entry.Requests;
        }

        settled.Deliver();
        return requests;
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
    internal static WireRequestShare Account(Entry entry, WireFacts? facts, StreamEnds? ends, bool multiplexed, RequestStart? start, bool answers)
    {
        Settlement settled;
        WireRequestShare share;
        lock (entry)
        {
            share = AccountLocked(entry, facts, ends, multiplexed, start, answers, out settled);
        }

        settled.Deliver();
        return share;
    }

    private static WireRequestShare AccountLocked(Entry entry, WireFacts? facts, StreamEnds? ends, bool multiplexed, RequestStart? start, bool answers,
        out Settlement settled)
    {
        settled = default;
        entry.Requests++;
        if (multiplexed)
        {
            return facts is null ? WireRequestShare.NotObserved : WireRequestShare.LeftOut(WireRequestOmitted.Multiplexed);
        }

        if (start is { } known)
        {
            if (facts is null)
            {
                return WireRequestShare.NotObserved;
            }

            // The upstream leg reads its response to the end before it records itself: a request whose
            // own bytes had not all left by then is not waited for on this leg.
            var from = ends is { } end ? SettleFrom(known, facts.Value, end) : WireRequestShare.LeftOut(WireRequestOmitted.Overlap);
            return from.Pending ? WireRequestShare.LeftOut(WireRequestOmitted.Unsettled) : from;
        }

        if (entry.Pending is { } unsettled)
        {
            // The previous request never settled (its response still leaving when this one ended):
            // it is left out, and this one starts from an unknown point.
            settled = Resolve(entry, unsettled, WireRequestShare.LeftOut(WireRequestOmitted.Unsettled), facts);
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

        var share = Settle(entry, facts.Value, ends.Value, answers ? After.Look : After.ReadToItsEnd);
        if (share.Pending)
        {
            entry.Pending = ends;
        }

        return share;
    }

    /// <summary>
    /// Hands <paramref name="waiter"/> the share of the request that <see cref="RequestOnConnection.Account"/>
    /// left pending: at once when someone settled it meanwhile, otherwise when the next request, the close or
    /// the retry timer does (see the rules).
    /// </summary>
    internal void Wait(Entry entry, ShareWaiter waiter)
    {
        Settlement settled;
        lock (entry)
        {
            if (entry.Pending == waiter.Ends && entry.Waiter is null)
            {
                entry.Waiter = waiter;
                settled = default;
            }
            else
            {
                // Settled before it waited: by the next request's Begin or Account, or by the close.
                bool mine = entry.Pending != waiter.Ends && entry.SettledEnds == waiter.Ends && entry.SettledShare is not null;
                settled = mine ? new Settlement(waiter, entry.SettledShare!.Value, entry.SettledFacts)
                    : new Settlement(waiter, WireRequestShare.LeftOut(WireRequestOmitted.Unsettled), null);
            }
        }

        if (settled.Waiter is not null)
        {
            settled.Deliver();
            return;
        }

        lock (waiting)
        {
            waiting.Add(entry);
            if (!retryArmed)
            {
                retryArmed = true;
                retryTimer.Change(retryPeriod, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// The retry timer's round (<paramref name="now"/>: <see cref="Stopwatch.GetTimestamp"/>): each waiting
    /// request's flow is looked up again; a response that has left settles its request, and one that has
    /// waited <see cref="MaxSettleWait"/> is left out as unsettled. Rearms itself while anything waits.
    /// </summary>
    internal void RetryWaiting(long now)
    {
        Entry[] round;
        lock (waiting)
        {
            round = [.. waiting];
        }

        foreach (var entry in round)
        {
            var waiter = Volatile.Read(ref entry.Waiter);
            WireFacts? facts = null;
            if (waiter is not null)
            {
                try
                {
                    facts = waiter.Lookup();
                }
                catch (Exception)
                {
                    // A flow that cannot be read is one not found: the request waits on, up to its limit.
                    facts = null;
                }
            }

            Settlement settled = default;
            bool done = true;
            lock (entry)
            {
                if (waiter is not null && ReferenceEquals(entry.Waiter, waiter) && entry.Pending == waiter.Ends)
                {
                    bool last = Stopwatch.GetElapsedTime(waiter.Since, now) >= MaxSettleWait;
                    // No facts while pending: the connection is closing (its flow is being handed to Forget), which settles it.
                    var share = facts is { } current ? Settle(entry, current, waiter.Ends, After.Look) : WireRequestShare.Waiting;
                    if (share.Pending && last)
                    {
                        share = WireRequestShare.LeftOut(WireRequestOmitted.Unsettled);
                        entry.Start = null;
                        entry.StartEnds = waiter.Ends;
                    }

                    if (share.Pending)
                    {
                        done = false;
                    }
                    else
                    {
                        entry.Pending = null;
                        entry.Waiter = null;
                        settled = new Settlement(waiter, share, facts);
                    }
                }
            }

            if (done)
            {
                lock (waiting)
                {
                    waiting.Remove(entry);
                }
            }

            settled.Deliver();
        }

        lock (waiting)
        {
            retryArmed = waiting.Count > 0;
            if (retryArmed)
            {
                retryTimer.Change(retryPeriod, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Requests waiting for their share (see <see cref="Wait"/>), some perhaps settled since the timer's last round.</summary>
    internal int Waiting
    {
        get
        {
            lock (waiting)
            {
                return waiting.Count;
            }
        }
    }

    /// <summary>Stops the retry timer; requests still waiting are settled by their connections' next request or close, or not at all.</summary>
    public void Dispose() => retryTimer.Dispose();

    // Under the entry's lock: a pending request's share, decided by someone else than the request,
    // from facts (whose totals go on its record). Its waiter, if it waits already, gets it once the
    // caller has left the lock (Settlement.Deliver); one that comes later finds it here (Wait).
    private static Settlement Resolve(Entry entry, StreamEnds ends, WireRequestShare share, WireFacts? facts)
    {
        entry.Pending = null;
        entry.SettledEnds = ends;
        entry.SettledShare = share;
        entry.SettledFacts = facts;
        var waiter = entry.Waiter;
        entry.Waiter = null;
        return new Settlement(waiter, share, facts);
    }

    /// <summary>A share decided under an entry's lock, for its waiter (if any) once the lock is left.</summary>
    private readonly record struct Settlement(ShareWaiter? Waiter, WireRequestShare Share, WireFacts? Facts)
    {
        /// <summary>Hands the share to its waiter, if any: at once, or (<paramref name="later"/>) on the thread pool.</summary>
        public void Deliver(bool later = false)
        {
            if (later)
            {
                Waiter?.SettleLater(Share, Facts);
            }
            else
            {
                Waiter?.Settle(Share, Facts);
            }
        }
    }

    /// <summary>What a share is settled after: what it tells about segments of the response still to leave.</summary>
    private enum After
    {
        /// <summary>
        /// A look at the flow while the connection is open and nothing followed the request (its own end, the
        /// retry timer): the response's last segment may still be sent again (a tail loss probe, a timeout),
        /// unless the client had acknowledged the response's last byte at an earlier look.
        /// </summary>
        Look,

        /// <summary>
        /// A later request on the connection began: the gateway took its bytes off the socket, so its TCP had
        /// processed the acknowledgment they carry (of the whole response); anything it sent again before had
        /// passed the egress program while it held the socket.
        /// </summary>
        LaterRequest,

        /// <summary>The connection closed: these are its final facts.</summary>
        Close,

        /// <summary>The upstream leg, which records itself once it read the response to its end: what it sent is the request.</summary>
        ReadToItsEnd,
    }

    /// <summary>
    /// The rule of a request's share, under the entry's lock. The request's window runs from where the
    /// previous request ended (<see cref="Entry.Start"/>) to where this one ends: on the way in, the point
    /// where the kernel had received exactly the request's last byte (<paramref name="ends"/>.Received): the
    /// counters now when nothing of the next request has arrived, else those kept at the turn that began
    /// it; on the way out, every segment that carried bytes of the response, first sent or sent again, and
    /// none of the next response's. The kernel may send the response's last segment again after it first
    /// left (a tail loss probe while the client's acknowledgment is slow, or a timeout), until the client's
    /// acknowledgment reaches the gateway's TCP: those segments are the response's, so the window closes on
    /// the way out only at a point after which none can leave (<paramref name="after"/>): a later request
    /// began, the connection closed, or the client had acknowledged the response's last byte at an earlier
    /// look (the retry timer's rounds are far apart; a segment sent again on another CPU as the
    /// acknowledgment arrived has left long before the next). Until then the share waits. Anything else is
    /// left out.
    /// </summary>
    private static WireRequestShare Settle(Entry entry, in WireFacts facts, StreamEnds ends, After after)
    {
        if (facts.ReceivedOffset is not { } received || facts.SentOffset is not { } sent)
        {
            entry.Start = null;
            entry.StartEnds = ends;
            return WireRequestShare.LeftOut(WireRequestOmitted.NoSequence);
        }

        var turn = facts.Turn;
        bool turnEndsIt = facts.Turns > 0 && turn.ReceivedOffset == ends.Received && turn.SentOffset == ends.Sent;
        if (entry.Start is null)
        {
            // Where this request began after a request that was left out: the turn that began it, if nothing was
            // sent again since (a segment sent again after the turn could be the previous response's); decided
            // at the first look, while that turn is still the latest.
            if (facts.Turns > 0 && turn.ReceivedOffset == entry.StartEnds.Received && turn.SentOffset == entry.StartEnds.Sent && !turnEndsIt
                && (ulong)facts.RetransmitsOut == turn.RetransmitsOut)
            {
                entry.Start = Counters(turn);
            }
            else
            {
                entry.StartEnds = ends;
                return WireRequestShare.LeftOut(WireRequestOmitted.Overlap);
            }
        }

        // The way in: nothing of the next request yet, or the turn that began it.
        (long PacketsIn, long BytesIn)? endIn = received == ends.Received ? (facts.DataPacketsIn, facts.BytesIn)
            : turnEndsIt ? ((long)turn.DataPacketsIn, (long)turn.BytesIn) : null;
        // The way out: the counters now while nothing of the next response has left, once no segment of this
        // one can leave again; the turn's once the next response is leaving, if nothing was sent again since
        // the turn (every segment sent again before it is counted there; after it, one could be either's).
        (long PacketsOut, long BytesOut, long Retransmits)? endOut = null;
        bool final = after != After.Look || entry.AckedEnds == ends;
        if (sent == ends.Sent && final)
        {
            endOut = (facts.DataPacketsOut, facts.BytesOut, facts.RetransmitsOut);
        }
        else if (sent != ends.Sent && turnEndsIt && (ulong)facts.RetransmitsOut == turn.RetransmitsOut)
        {
            endOut = ((long)turn.DataPacketsOut, (long)turn.BytesOut, (long)turn.RetransmitsOut);
        }

        if (endIn is not { } @in || endOut is not { } @out)
        {
            if (endIn is not null && sent == ends.Sent)
            {
                // All of the response has left, and it may still be sent again: wait for the client's
                // acknowledgment of its last byte, and then one more look.
                if (facts.AckedOffset is { } acked && !Before(acked, ends.Sent))
                {
                    entry.AckedEnds = ends;
                }

                return WireRequestShare.Waiting;
            }

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

        var end = new WireRequestDelta(@in.PacketsIn, @out.PacketsOut, @in.BytesIn, @out.BytesOut, @out.Retransmits);
        var from = entry.Start.Value;
        var began = entry.StartEnds;
        entry.Start = end;
        entry.StartEnds = ends;

        // Segments as counted (a segment sent again counts again, as the peer receives it again);
        // bytes by sequence number, each once: exactly the request's and the response's bytes.
        var to = end;
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

        // The ends of a pending request whose response's last byte the client had acknowledged at a look
        // (see Settle): the next look settles it.
        public StreamEnds? AckedEnds;

        // The record of the pending request, waiting for its share (see Wait).
        public ShareWaiter? Waiter;

        // Requests the connection carried.
        public int Requests;

        // The results of the rules that read only the connection's handshake, from its first request (see RequestOnConnection.RuleCache).
        public ConnectionRuleCache? RuleCache;

        // The attributes every request on the connection repeats (see RequestOnConnection.Account).
        public SharedAttributes? Shared;
    }

    /// <summary>Where a request that knew it began (its stream offsets), and the counters there; null when they did not check out.</summary>
    internal readonly record struct RequestStart(StreamEnds Began, WireRequestDelta? Counters);

    /// <summary>The 5-tuple and handshake attributes of a connection, and what they were built with.</summary>
    internal sealed record SharedAttributes(Telemetry.AttributeList Attributes, IPeerAddressFormat? Privacy, bool Handshake);
}
