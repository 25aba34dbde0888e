using Gateway.Correlation;

namespace Gateway.Forwarding;

/// <summary>
/// An upstream connect attempt that failed: the 5-tuple its SYN carried (so the wire view
/// can say what the kernel saw: the backend's RST, or SYNs sent again without an answer)
/// and why .NET gave up.
/// </summary>
/// <param name="Tuple">The attempt's connection, from the gateway's point of view.</param>
/// <param name="Error">A <c>gateway.upstream.error</c> value: <c>connection_refused</c>, <c>connect_timeout</c>, ...</param>
/// <param name="FailedAt">When the attempt failed (<see cref="Environment.TickCount64"/>).</param>
internal sealed record FailedConnect(ConnectionTuple Tuple, string Error, long FailedAt);
