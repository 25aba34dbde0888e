using Gateway.Telemetry;

namespace Gateway.Tls;

/// <summary>Writes a TLS connection's facts as <c>tls.*</c> attributes of a request's span and record.</summary>
internal static class TlsAttributes
{
    /// <summary>Adds the <c>tls.*</c> attributes that are known; nothing for a connection that is not TLS.</summary>
    public static void AddTls(this AttributeList attributes, TlsConnectionFacts? facts)
    {
        if (facts is null)
        {
            return;
        }

        attributes.AddIfPresent(SemanticConventions.TlsProtocolVersion, facts.ProtocolVersion);
        attributes.AddIfPresent(SemanticConventions.TlsCipher, facts.Cipher);
        attributes.AddIfPresent(SemanticConventions.TlsClientServerName, facts.ServerName);
        attributes.AddIfPresent(SemanticConventions.TlsNextProtocol, facts.NextProtocol);
        attributes.AddIfKnown(SemanticConventions.TlsResumed, facts.Resumed);
        attributes.AddIfPresent(SemanticConventions.TlsClientJa4, facts.Ja4);
    }
}
