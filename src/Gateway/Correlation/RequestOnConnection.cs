using Gateway.Rules;
using Gateway.Telemetry.Records;

namespace Gateway.Correlation;

/// <summary>
/// A request's place in its connection's <see cref="ConnectionLedger"/> entry, from
/// <see cref="ConnectionLedger.Begin"/>: it counts the request (<see cref="Account"/>) and, until
/// disposed, routes the kernel's events on the connection to the request's span. The default
/// counts nothing and routes nothing.
/// </summary>
internal readonly struct RequestOnConnection : IDisposable
{
    private readonly ConnectionLedger? _ledger;
    private readonly ConnectionLedger.Entry? _entry;
    private readonly SpanData? _span;
    private readonly int _generation;
    private readonly bool _multiplexed;
    private readonly ConnectionLedger.RequestStart? _start;
    private readonly bool _answers;

    internal RequestOnConnection(ConnectionLedger ledger, ConnectionLedger.Entry entry, SpanData span, int generation, bool multiplexed,
        ConnectionLedger.RequestStart? start = null, bool answers = true)
    {
        _start = start;
        _answers = answers;
        _ledger = ledger;
        _entry = entry;
        _span = span;
        _generation = generation;
        _multiplexed = multiplexed;
    }

    /// <summary>True when the request began on a connection (not the default).</summary>
    public bool IsTracked => _entry is not null;

    /// <summary>
    /// The connection's cache of the results of the rules that read only its handshake, made at the first ask;
    /// null for a request on no connection. The streams of one HTTP/2 connection share it.
    /// </summary>
    public ConnectionRuleCache? RuleCache =>
        _entry is not { } entry ? null : Volatile.Read(ref entry.RuleCache) ?? Interlocked.CompareExchange(ref entry.RuleCache, new ConnectionRuleCache(), null) ?? entry.RuleCache;

    /// <summary>
    /// Counts the request on its connection and returns the attributes every request on the connection
    /// repeats: its 5-tuple (the peer's address as <paramref name="peerPrivacy"/> writes it) and the
    /// facts of its handshake. Those are built once per connection and shared, so that the exporters
    /// encode them once for all its requests. <paramref name="share"/>: the request's share of the
    /// counters, given where it and its response end (<paramref name="ends"/>); pending while the
    /// response is still leaving (then <see cref="Wait"/> for it); on a multiplexed connection, left out
    /// (<see cref="ConnectionLedger.IsMultiplexed"/>). Call once per request.
    /// </summary>
    public Telemetry.AttributeList Account(WireFacts? facts, IPeerAddressFormat? peerPrivacy, StreamEnds? ends,
        out WireRequestShare share)
    {
        var entry = _entry ?? throw new InvalidOperationException("the request did not begin on a connection");
        share = ConnectionLedger.Account(entry, facts, ends, _multiplexed, _start, _answers);
        bool handshake = facts?.Ttl is not null;
        var shared = Volatile.Read(ref entry.Shared);
        if (shared is not null && ReferenceEquals(shared.Privacy, peerPrivacy) && shared.Handshake == handshake)
        {
            return shared.Attributes;
        }

        // First request, a reloaded privacy setting, or a flow record that lost (or found) its handshake.
        var attributes = new Telemetry.AttributeList(16);
        attributes.AddConnection(entry.Tuple, peerPrivacy);
        if (handshake)
        {
            attributes.AddWireHandshake(facts!.Value);
        }

        Volatile.Write(ref entry.Shared, new ConnectionLedger.SharedAttributes(attributes, peerPrivacy, handshake));
        return attributes;
    }

    /// <summary>
    /// Hands <paramref name="waiter"/> the share of this request, which <see cref="Account"/> left pending:
    /// the next request on the connection, its close or the ledger's retry timer settles it.
    /// </summary>
    public void Wait(ShareWaiter waiter)
    {
        var entry = _entry ?? throw new InvalidOperationException("the request did not begin on a connection");
        _ledger!.Wait(entry, waiter);
    }

    /// <summary>Stops routing the connection's events to the span; a second call does nothing.</summary>
    public void Dispose()
    {
        if (!_multiplexed)
        {
            _ledger?.Leave(_entry!, _span!, _generation);
        }
    }
}
