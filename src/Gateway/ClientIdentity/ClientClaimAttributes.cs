using Gateway.Telemetry;

namespace Gateway.ClientIdentity;

/// <summary>Writes the OS hint and the claims check as <c>gateway.client.*</c> attributes.</summary>
internal static class ClientClaimAttributes
{
    /// <summary>Adds <c>gateway.client.os_hint</c> and, when <paramref name="evidence"/> holds contradictions, <c>gateway.client.claims_mismatch</c>.</summary>
    public static void AddClientClaims(this AttributeList attributes, in ClientEvidence evidence)
    {
        attributes.AddIfPresent(SemanticConventions.GatewayClientOsHint, evidence.OsHint);
        if (ClaimsMismatch.Find(evidence) is { } mismatch)
        {
            attributes.Add(SemanticConventions.GatewayClientClaimsMismatch, mismatch);
        }
    }
}
