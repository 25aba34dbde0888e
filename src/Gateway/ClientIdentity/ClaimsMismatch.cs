namespace Gateway.ClientIdentity;

/// <summary>
/// <c>gateway.client.claims_mismatch</c>: where what a client says (its User-Agent, its forwarding
/// headers, its Host) contradicts what its connection showed (the SYN, the ClientHello). Tokens:
/// <list type="table">
/// <item><term>ua_os</term><description>the User-Agent names a platform (<see cref="UserAgentPlatform"/>) and the SYN's <c>os_hint</c> names another (both known, neither <c>unknown</c>).</description></item>
/// <item><term>ua_tls</term><description>the User-Agent presents a web browser, yet its ClientHello offered no ALPN or no TLS 1.3: every current browser offers both.</description></item>
/// <item><term>sni_host</term><description>the ClientHello's SNI and the request's Host differ (domain fronting, or a client that reuses one connection for another name).</description></item>
/// <item><term>xff_hops</term><description>the request claims to have been forwarded (<c>X-Forwarded-For</c> or <c>Forwarded</c>), yet the TCP peer's SYN is an end-user stack (<c>windows</c> or <c>apple</c>) of the very platform the User-Agent names: the peer looks like the client itself, not a proxy in front of it.</description></item>
/// </list>
/// </summary>
/// <remarks>
/// Hints with known limits: a NAT or proxy shows its own SYN (so <c>ua_os</c> compares the User-Agent
/// with the last hop's stack); a local debugging proxy (Fiddler, Charles) on the user's machine is a
/// forwarding peer with a desktop stack; tuned or unusual stacks are <c>unknown</c> and never mismatch.
/// </remarks>
public static class ClaimsMismatch
{
    /// <summary>The User-Agent's platform differs from the SYN's.</summary>
    public const string UaOs = "ua_os";

    /// <summary>A browser User-Agent over a ClientHello no browser sends.</summary>
    public const string UaTls = "ua_tls";

    /// <summary>SNI and Host differ.</summary>
    public const string SniHost = "sni_host";

    /// <summary>A forwarding claim from a peer that looks like the end client.</summary>
    public const string XffHops = "xff_hops";

    /// <summary>The contradictions found, in the order above; null when none.</summary>
    public static string[]? Find(in ClientEvidence evidence)
    {
        List<string>? found = null;
        var platform = UserAgentPlatform.Of(evidence.UserAgent);
        var stack = evidence.OsHint is OsHintTable.Unknown ? null : evidence.OsHint;
        if (platform is not null && stack is not null && platform != stack)
        {
            (found ??= []).Add(UaOs);
        }

        if (evidence.TlsSeen && UserAgentPlatform.IsBrowser(evidence.UserAgent) && (!evidence.OfferedAlpn || !evidence.OfferedTls13))
        {
            (found ??= []).Add(UaTls);
        }

        if (evidence.ServerName is { Length: > 0 } sni && evidence.Host is { Length: > 0 } host
            && !string.Equals(sni.TrimEnd('.'), host.TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
        {
            (found ??= []).Add(SniHost);
        }

        if (evidence.ForwardedClaimed && stack is OsHintTable.Windows or OsHintTable.Apple && platform == stack)
        {
            (found ??= []).Add(XffHops);
        }

        return found?.ToArray();
    }
}
