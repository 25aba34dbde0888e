namespace Gateway.Correlation;

/// <summary>
/// What moved on a connection for one request: the change of the connection's
/// counters since the previous request on it ended (or since it opened), so the
/// request's own headers and body are included.
/// </summary>
public readonly record struct WireRequestDelta(long PacketsIn, long PacketsOut, long BytesIn, long BytesOut, long RetransmitsOut);
