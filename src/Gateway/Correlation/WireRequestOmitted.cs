namespace Gateway.Correlation;

/// <summary>The values of <c>wire.request.omitted</c>: why a request's <c>wire.request.*</c> figures are left out.</summary>
public static class WireRequestOmitted
{
    /// <summary>The connection carries several requests at once (HTTP/2, HTTP/3 streams): no segment belongs to one request.</summary>
    public const string Multiplexed = "multiplexed";

    /// <summary>
    /// Bytes of the next request had arrived before this response had left (HTTP/1.1 pipelining, a client
    /// that does not wait), or this request's body was not read to its end: the windows of two requests overlap.
    /// </summary>
    public const string Overlap = "overlap";

    /// <summary>The response had not fully left the gateway when the record had to be written (a reader too slow, a stalled window).</summary>
    public const string Unsettled = "unsettled";

    /// <summary>The kernel did not see the connection's handshake (its record was evicted and restarted): no offsets to check against.</summary>
    public const string NoSequence = "no_sequence";
}
