namespace Gateway.Correlation;

/// <summary>
/// A notable wire event the kernel reported on a connection that had no request
/// in flight (or a handshake that never completed): it becomes a
/// <c>wire.anomaly</c> record.
/// </summary>
/// <param name="Kind">One of <see cref="WireEventKinds"/>.</param>
/// <param name="Tuple">The connection.</param>
/// <param name="Details">Event attributes (segments, TTLs, window...).</param>
public sealed record WireAnomaly(string Kind, ConnectionTuple Tuple, IReadOnlyList<KeyValuePair<string, object?>> Details);

/// <summary>The kinds of wire events, as span event names (<c>wire.&lt;kind&gt;</c>) and anomaly kinds.</summary>
public static class WireEventKinds
{
    /// <summary>The connection was reset (see <c>wire.event.direction</c>).</summary>
    public const string Reset = "reset";

    /// <summary>The gateway sent segments again.</summary>
    public const string Retransmit = "retransmit";

    /// <summary>The peer's TTL changed mid-connection.</summary>
    public const string TtlChange = "ttl_change";

    /// <summary>A side advertised a zero window.</summary>
    public const string ZeroWindow = "zero_window";

    /// <summary>A client's SYN reached the listener but the handshake never completed.</summary>
    public const string HandshakeIncomplete = "handshake_incomplete";
}
