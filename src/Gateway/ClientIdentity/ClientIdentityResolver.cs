using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Correlation;
using Microsoft.Extensions.Primitives;

namespace Gateway.ClientIdentity;

/// <summary>
/// Decides <c>client.address</c> from the TCP peer and the forwarding headers, and checks the
/// claim against the trusted-proxy list and the wire.
/// </summary>
/// <remarks>
/// The chain is walked from the right (the hop nearest to the gateway): the TCP peer must be
/// trusted for the header to count at all; then every entry that is itself a trusted proxy is
/// skipped, and the first one that is not is the client. Mismatch reasons:
/// <list type="bullet">
/// <item><c>untrusted-peer</c>: a forwarding header came from a peer that is not a trusted proxy; it is ignored.</item>
/// <item><c>malformed</c>: an entry the walk reached is not an address (<c>unknown</c>, obfuscated, garbage).</item>
/// <item><c>ttl-far</c>: the nearest claimed hop is a loopback, private or link-local address, yet the
/// connection's handshake TTL says the packets crossed more than <c>LocalHopLimit</c> routers (the
/// initial TTL is taken as the next of 64, 128, 255 at or above the observed one).</item>
/// </list>
/// A connection whose wire facts are unobserved is never a <c>ttl-far</c> mismatch.
/// </remarks>
public sealed class ClientIdentityResolver
{
    /// <summary>The reason for a forwarding header from a peer that is not trusted.</summary>
    public const string UntrustedPeer = "untrusted-peer";

    /// <summary>The reason for an entry that is not an address.</summary>
    public const string Malformed = "malformed";

    /// <summary>The reason for a local claim over a far connection.</summary>
    public const string TtlFar = "ttl-far";

    private readonly TrustedProxies _trusted;
    private readonly int _localHopLimit;

    /// <summary>Builds the resolver from validated settings.</summary>
    public ClientIdentityResolver(ClientIdentitySettings settings)
    {
        _trusted = new TrustedProxies(settings.TrustedProxies ?? []);
        _localHopLimit = settings.LocalHopLimit;
    }

    /// <summary>Decides who the client of a request is.</summary>
    public ForwardedVerdict Resolve(IPAddress peer, int peerPort, StringValues forwarded, StringValues xForwardedFor, WireFacts? wire)
    {
        peer = ConnectionTuple.Normalize(peer);
        if (StringValues.IsNullOrEmpty(forwarded) && StringValues.IsNullOrEmpty(xForwardedFor))
        {
            return new ForwardedVerdict { ClientAddress = peer, ClientPort = peerPort };
        }

        var chain = ForwardedChain.Parse(forwarded, xForwardedFor);
        var reasons = new List<string>(2);
        var nearest = chain.Count > 0 ? chain[^1].Address : null;
        if (nearest is not null && IsLocal(nearest) && HopsFrom(wire) is { } hops && hops > _localHopLimit)
        {
            reasons.Add(TtlFar);
        }

        if (!_trusted.Contains(peer))
        {
            reasons.Insert(0, UntrustedPeer);
            return new ForwardedVerdict { ClientAddress = peer, ClientPort = peerPort, Claimed = true, Mismatch = Join(reasons) };
        }

        // Walk from the nearest hop outwards while the hops are our own proxies.
        var client = new ForwardedChain.Hop(peer, peerPort);
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            var hop = chain[i];
            if (hop.Address is null)
            {
                reasons.Add(Malformed);
                break;
            }

            client = hop;
            if (!_trusted.Contains(hop.Address))
            {
                break;
            }
        }

        if (chain.Count == 0)
        {
            reasons.Add(Malformed);
        }

        return new ForwardedVerdict
        {
            ClientAddress = ConnectionTuple.Normalize(client.Address!),
            ClientPort = client.Port,
            Claimed = true,
            Trusted = true,
            Mismatch = Join(reasons),
        };
    }

    /// <summary>Router hops implied by the handshake TTL, or null when the wire was not observed.</summary>
    internal static int? HopsFrom(WireFacts? wire) =>
        wire?.Ttl is { } ttl and > 0 ? OsHintTable.InitialTtl(ttl) - ttl : null;

    /// <summary>Loopback, RFC 1918, CGNAT, link-local, IPv6 unique-local: an address that cannot be many hops away.</summary>
    internal static bool IsLocal(IPAddress address)
    {
        address = ConnectionTuple.Normalize(address);
        if (IPAddress.IsLoopback(address))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] == 10
                || (b[0] == 172 && (b[1] & 0xF0) == 16)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && (b[1] & 0xC0) == 64);
        }

        return address.IsIPv6LinkLocal || address.IsIPv6UniqueLocal || address.IsIPv6SiteLocal;
    }

    private static string? Join(List<string> reasons) => reasons.Count == 0 ? null : string.Join(',', reasons);
}
