namespace Gateway.Rules;

/// <summary>
/// When each attribute a condition can read is known: the one owner of that knowledge. The
/// connection's handshake facts (SYN, TLS, addresses) are known before its first request and are
/// the same for every request on it; the response's facts only once the request was proxied;
/// everything else (the request line and headers, the client, the route, the connection's
/// counters so far) when the request has arrived.
/// </summary>
public static class RuleAttributePhases
{
    // Prefixes and names of the attribute schema (docs/attributes.md) that proxying produces.
    private static readonly string[] ResponsePrefixes = ["http.response.", "wire.request.", "gateway.upstream.", "gateway.response."];
    private static readonly string[] ResponseNames = ["error.type", "gateway.request.duration_ms", "gateway.destination.id"];

    // What the connection's first segments and its TLS handshake fixed: the same for each of its requests.
    // Not wire.conn.* (counters that grow), wire.ip.ttl_changes, wire.observed or client.address (from headers).
    private static readonly string[] ConnectionNames =
    [
        "wire.ip.ttl", "wire.ip.dscp", "wire.ip.ecn", "wire.ip.df", "wire.tcp.window", "wire.tcp.mss", "wire.tcp.wscale",
        "wire.tcp.options", "wire.tcp.ja4t", "wire.tcp.handshake_rtt_us", "gateway.client.os_hint",
        "network.peer.address", "network.peer.port", "network.local.port",
    ];

    /// <summary>The phase in which <paramref name="attribute"/> is known.</summary>
    public static RulePhase Of(string attribute)
    {
        foreach (var prefix in ResponsePrefixes)
        {
            if (attribute.StartsWith(prefix, StringComparison.Ordinal))
            {
                return RulePhase.Response;
            }
        }

        if (ResponseNames.Contains(attribute, StringComparer.Ordinal))
        {
            return RulePhase.Response;
        }

        return attribute.StartsWith("tls.", StringComparison.Ordinal) || ConnectionNames.Contains(attribute, StringComparer.Ordinal)
            ? RulePhase.Connection
            : RulePhase.Request;
    }
}
