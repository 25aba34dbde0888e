using Gateway.ClientIdentity;
using Gateway.Correlation;
using Gateway.Tls;
using Microsoft.AspNetCore.Http;

namespace Gateway.Requests;

/// <summary>
/// What a request's client said about itself next to what its connection showed, as
/// <see cref="ClaimsMismatch"/> compares them: one reading for the record and for the rules.
/// </summary>
internal static class ClientClaims
{
    /// <summary>The evidence of <paramref name="context"/>'s request; the SYN's OS hint only for a downstream connection.</summary>
    public static ClientEvidence Of(HttpContext context, TlsConnectionFacts? tls, WireFacts? wire, bool downstream)
    {
        var request = context.Request;
        var hello = tls?.ClientHello;
        return new ClientEvidence
        {
            UserAgent = request.Headers.UserAgent.Count > 0 ? request.Headers.UserAgent.ToString() : null,
            Host = request.Host.HasValue ? request.Host.Host : null,
            ForwardedClaimed = request.Headers.ContainsKey("Forwarded") || request.Headers.ContainsKey("X-Forwarded-For"),
            OsHint = downstream ? OsHintTable.Of(wire) : null,
            TlsSeen = hello is not null,
            ServerName = tls?.ServerName,
            OfferedAlpn = hello?.Alpn is { Length: > 0 },
            OfferedTls13 = hello?.Version >= 0x0304,
        };
    }
}
