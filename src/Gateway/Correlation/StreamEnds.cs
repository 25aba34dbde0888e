namespace Gateway.Correlation;

/// <summary>
/// Where a request and its response end in the connection's two byte streams (offsets from the
/// connection's first byte, modulo 2^32, counted by the gateway on the raw transport: see
/// <see cref="TransportByteCounts"/>).
/// </summary>
/// <param name="Received">End of the request: bytes the gateway took off the connection so far.</param>
/// <param name="Sent">End of the response: bytes the gateway wrote to the connection so far.</param>
public readonly record struct StreamEnds(uint Received, uint Sent)
{
    /// <summary>The ends as the transport counts them now.</summary>
    public static StreamEnds Of(TransportByteCounts counts) => new((uint)counts.Received, (uint)counts.Sent);
}
