using System.Collections.Concurrent;

namespace Gateway.Correlation;

/// <summary>
/// Per connection (downstream or upstream): the counters at the end of its
/// previous request and how many requests it carried. The per-request
/// <c>wire.request.*</c> deltas and the connection record's request count come
/// from here. Entries go when their connection closes.
/// </summary>
public sealed class WireRequestLedger
{
    private readonly ConcurrentDictionary<ConnectionTuple, Entry> entries = new();

    /// <summary>Connections currently tracked.</summary>
    public int Count => entries.Count;

    /// <summary>
    /// Counts one more request on <paramref name="tuple"/> (<paramref name="delta"/>: what moved for it,
    /// null when the wire was not observed) and returns the attributes every request on the connection
    /// repeats: its 5-tuple (the peer's address as <paramref name="peerPrivacy"/> writes it) and the
    /// facts of its handshake. Those are built once per connection and shared, so that the exporters
    /// encode them once for all its requests.
    /// </summary>
    internal Telemetry.AttributeList Next(ConnectionTuple tuple, WireFacts? facts, ClientIdentity.ClientAddressAnonymizer? peerPrivacy, out WireRequestDelta? delta)
    {
        Entry entry = Of(tuple);
        delta = Account(entry, facts);
        bool handshake = facts?.Ttl is not null;
        var shared = Volatile.Read(ref entry.Shared);
        if (shared is not null && ReferenceEquals(shared.Privacy, peerPrivacy) && shared.Handshake == handshake)
            return shared.Attributes;

        // First request, a reloaded privacy setting, or a flow record that lost (or found) its handshake.
        var attributes = new Telemetry.AttributeList(16);
        attributes.AddConnection(tuple, peerPrivacy);
        if (handshake)
            attributes.AddWireHandshake(facts!.Value);
        Volatile.Write(ref entry.Shared, new SharedAttributes(attributes, peerPrivacy, handshake));
        return attributes;
    }

    private Entry Of(ConnectionTuple tuple) => entries.GetOrAdd(tuple, _ => new Entry());

    private static WireRequestDelta? Account(Entry entry, WireFacts? facts)
    {
        lock (entry)
        {
            entry.Requests++;
            if (facts is not { } now)
                return null;
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

    /// <summary>Forgets a closed connection and returns how many requests it carried.</summary>
    public int Forget(ConnectionTuple tuple) =>
        entries.TryRemove(tuple, out Entry? entry) ? entry.Requests : 0;

    // A counter never shrinks on one connection; if it did, the flow record was
    // evicted and restarted, and the whole new value belongs to this request.
    private static long Grown(long now, long? before) => before is { } b && now >= b ? now - b : now;

    private sealed class Entry
    {
        public WireFacts? Last;
        public int Requests;
        public SharedAttributes? Shared;
    }

    private sealed record SharedAttributes(Telemetry.AttributeList Attributes, ClientIdentity.ClientAddressAnonymizer? Privacy, bool Handshake);
}
