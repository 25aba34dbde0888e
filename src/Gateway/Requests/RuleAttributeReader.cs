using Gateway.Rules;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gateway.Requests;

/// <summary>
/// What one attribute name resolves to for <see cref="RuleAttributes"/>: where it is read, and for a
/// request header the header's name (and, for the headers Kestrel keeps in fields, the typed getter,
/// which skips the lookup by name). Resolved at the name's first read and kept on its
/// <see cref="RuleAttribute"/>, so a read is a switch on an enum, not on the name.
/// </summary>
internal sealed class RuleAttributeReader
{
    // The typed getters of IHeaderDictionary that Kestrel answers from a field of its own.
    private static readonly Dictionary<string, Func<IHeaderDictionary, StringValues>> KnownHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["user-agent"] = static h => h.UserAgent,
        ["host"] = static h => h.Host,
        ["accept"] = static h => h.Accept,
        ["accept-encoding"] = static h => h.AcceptEncoding,
        ["accept-language"] = static h => h.AcceptLanguage,
        ["authorization"] = static h => h.Authorization,
        ["cookie"] = static h => h.Cookie,
        ["referer"] = static h => h.Referer,
        ["origin"] = static h => h.Origin,
        ["content-type"] = static h => h.ContentType,
    };

    private static readonly Dictionary<string, RuleAttributeSource> Named = new(StringComparer.Ordinal)
    {
        ["http.request.method"] = RuleAttributeSource.Method,
        ["url.path"] = RuleAttributeSource.UrlPath,
        ["url.query"] = RuleAttributeSource.UrlQuery,
        ["url.scheme"] = RuleAttributeSource.UrlScheme,
        ["network.protocol.version"] = RuleAttributeSource.ProtocolVersion,
        ["user_agent.original"] = RuleAttributeSource.UserAgentOriginal,
        ["server.address"] = RuleAttributeSource.ServerAddress,
        ["gateway.route.id"] = RuleAttributeSource.RouteId,
        ["gateway.cluster.id"] = RuleAttributeSource.ClusterId,
        ["network.peer.address"] = RuleAttributeSource.PeerAddress,
        ["network.peer.port"] = RuleAttributeSource.PeerPort,
        ["network.local.port"] = RuleAttributeSource.LocalPort,
        ["client.address"] = RuleAttributeSource.ClientAddress,
        ["gateway.client.os_hint"] = RuleAttributeSource.OsHint,
        ["gateway.client.claims_mismatch"] = RuleAttributeSource.ClaimsMismatch,
        ["gateway.forwarded.trusted"] = RuleAttributeSource.ForwardedTrusted,
        ["gateway.forwarded.mismatch"] = RuleAttributeSource.ForwardedMismatch,
        ["gateway.request.duration_ms"] = RuleAttributeSource.DurationMs,
        ["wire.observed"] = RuleAttributeSource.WireObserved,
        ["wire.ip.ttl"] = RuleAttributeSource.WireTtl,
        ["wire.ip.dscp"] = RuleAttributeSource.WireDscp,
        ["wire.ip.ecn"] = RuleAttributeSource.WireEcn,
        ["wire.tcp.window"] = RuleAttributeSource.WireWindow,
        ["wire.tcp.mss"] = RuleAttributeSource.WireMss,
        ["wire.tcp.wscale"] = RuleAttributeSource.WireWindowScale,
        ["wire.tcp.handshake_rtt_us"] = RuleAttributeSource.WireHandshakeRtt,
        ["wire.ip.ttl_changes"] = RuleAttributeSource.WireTtlChanges,
        ["wire.conn.retransmits_out"] = RuleAttributeSource.WireRetransmitsOut,
        ["wire.conn.zero_window_in"] = RuleAttributeSource.WireZeroWindowIn,
        ["wire.conn.zero_window_out"] = RuleAttributeSource.WireZeroWindowOut,
        ["wire.conn.packets_in"] = RuleAttributeSource.WirePacketsIn,
        ["wire.conn.packets_out"] = RuleAttributeSource.WirePacketsOut,
        ["wire.conn.bytes_in"] = RuleAttributeSource.WireBytesIn,
        ["wire.conn.bytes_out"] = RuleAttributeSource.WireBytesOut,
        ["wire.tcp.options"] = RuleAttributeSource.WireOptions,
        ["wire.tcp.ja4t"] = RuleAttributeSource.WireJa4t,
        ["wire.ip.df"] = RuleAttributeSource.WireDontFragment,
        ["wire.conn.reset_by"] = RuleAttributeSource.WireResetBy,
        ["tls.client.ja4"] = RuleAttributeSource.TlsJa4,
        ["tls.resumed"] = RuleAttributeSource.TlsResumed,
        ["tls.client.server_name"] = RuleAttributeSource.TlsServerName,
        ["tls.protocol.version"] = RuleAttributeSource.TlsProtocolVersion,
        ["tls.cipher"] = RuleAttributeSource.TlsCipher,
        ["tls.next_protocol"] = RuleAttributeSource.TlsNextProtocol,
    };

    private RuleAttributeReader(RuleAttributeSource source, bool fromFacts, Func<IHeaderDictionary, StringValues>? knownHeader)
    {
        Source = source;
        FromFacts = fromFacts;
        KnownHeader = knownHeader;
    }

    /// <summary>Where the attribute is read.</summary>
    public RuleAttributeSource Source { get; }

    /// <summary>True for <c>wire.*</c> but <c>wire.request.*</c>: read from the connection's facts, also once the request is frozen.</summary>
    public bool FromFacts { get; }

    /// <summary>The typed getter for a header Kestrel keeps in a field (<see cref="RuleAttributeSource.KnownHeader"/>).</summary>
    public Func<IHeaderDictionary, StringValues>? KnownHeader { get; }

    /// <summary>The reader of <paramref name="attribute"/>, resolved at its first read.</summary>
    public static RuleAttributeReader Of(RuleAttribute attribute) =>
        attribute.Reader as RuleAttributeReader ?? Resolve(attribute);

    private static RuleAttributeReader Resolve(RuleAttribute attribute)
    {
        var name = attribute.Name;
        var fromFacts = attribute.IsWire && !name.StartsWith("wire.request.", StringComparison.Ordinal);
        RuleAttributeReader reader;
        if (attribute.RequestHeader is { } header)
        {
            reader = KnownHeaders.TryGetValue(header, out var getter)
                ? new RuleAttributeReader(RuleAttributeSource.KnownHeader, false, getter)
                : new RuleAttributeReader(RuleAttributeSource.Header, false, null);
        }
        else
        {
            var source = Named.TryGetValue(name, out var named) ? named : fromFacts ? RuleAttributeSource.WireOther : RuleAttributeSource.Late;
            reader = new RuleAttributeReader(source, fromFacts, null);
        }

        attribute.Reader = reader;
        return reader;
    }
}
