namespace KernelProbe;

/// <summary>
/// A flow's counters just before a turn: the first segment with payload the peer sent after
/// the gateway had sent payload (on an HTTP/1.1 connection, the first segment of a request
/// that follows a response). Offsets are stream offsets modulo 2^32 of the first byte of the
/// peer's turning segment and of the end of what the gateway had sent then.
/// </summary>
/// <param name="DataPacketsIn">Segments with payload received before the turn.</param>
/// <param name="BytesIn">Payload bytes received before the turn.</param>
/// <param name="DataPacketsOut">Segments with payload sent before the turn.</param>
/// <param name="BytesOut">Payload bytes sent before the turn.</param>
/// <param name="RetransmitsOut">Segments sent again before the turn.</param>
/// <param name="ReceivedOffset">Stream offset of the turning segment's first byte; null when the peer's first sequence number is unknown.</param>
/// <param name="SentOffset">Stream offset the gateway had sent up to at the turn; null when its first sequence number is unknown.</param>
public readonly record struct FlowTurn(ulong DataPacketsIn, ulong BytesIn, ulong DataPacketsOut, ulong BytesOut, ulong RetransmitsOut, uint? ReceivedOffset, uint? SentOffset);
