using Gateway.Correlation;

namespace Gateway.Forwarding;

/// <summary>
/// A request feature set when the upstream leg failed: what went wrong and what the kernel
/// saw on the connection (or connect attempt) involved, so that the access record, which
/// describes the downstream connection, says what happened upstream as well.
/// </summary>
/// <param name="Error">The <c>gateway.upstream.error</c> value.</param>
/// <param name="Tuple">The upstream connection or failed attempt; null when unknown.</param>
/// <param name="Facts">The kernel's view of it; null when not observed.</param>
internal sealed record UpstreamOutcome(string Error, ConnectionTuple? Tuple, WireFacts? Facts);
