namespace Gateway.Rules;

/// <summary>
/// Which attributes are only known once the request has been proxied. Everything else a
/// condition can read (the connection's handshake and TLS facts, the client, the request
/// line and headers, the route) is known before.
/// </summary>
public static class RuleAttributePhases
{
    // Prefixes and names of the attribute schema (docs/attributes.md) that proxying produces.
    private static readonly string[] ResponsePrefixes = ["http.response.", "wire.request.", "gateway.upstream.", "gateway.response."];
    private static readonly string[] ResponseNames = ["error.type", "gateway.request.duration_ms", "gateway.destination.id"];

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

        return ResponseNames.Contains(attribute, StringComparer.Ordinal) ? RulePhase.Response : RulePhase.Request;
    }
}
