using Gateway.Correlation;
using Gateway.Telemetry;

namespace Gateway.Forwarding;

/// <summary>
/// A request feature set when the upstream leg failed: what went wrong and what the kernel
/// saw on the connection (or connect attempt) involved, so that the access record, which
/// describes the downstream connection, says what happened upstream as well.
/// </summary>
/// <param name="Error">The <c>gateway.upstream.error</c> value.</param>
/// <param name="Tuple">The upstream connection or failed attempt; null when unknown.</param>
/// <param name="Facts">The kernel's view of it; null when not observed.</param>
internal sealed record UpstreamOutcome(string Error, ConnectionTuple? Tuple, WireFacts? Facts)
{
    /// <summary>Adds the <c>gateway.upstream.*</c> attributes of the access record.</summary>
    public void AddTo(AttributeList attributes)
    {
        attributes.Add(SemanticConventions.GatewayUpstreamError, Error);
        if (Tuple is { } tuple)
        {
            attributes.Add(SemanticConventions.GatewayUpstreamLocalPort, (long)tuple.LocalPort);
        }

        if (Facts is { } facts)
        {
            attributes.Add(SemanticConventions.GatewayUpstreamPacketsOut, facts.PacketsOut);
            attributes.Add(SemanticConventions.GatewayUpstreamPacketsIn, facts.PacketsIn);
            attributes.Add(SemanticConventions.GatewayUpstreamRetransmitsOut, facts.RetransmitsOut);
            attributes.AddIfPresent(SemanticConventions.GatewayUpstreamResetBy, facts.ResetBy);
        }
    }
}
