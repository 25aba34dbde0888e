using Gateway.Telemetry;
using Gateway.Telemetry.Records;

namespace Gateway.Correlation;

/// <summary>
/// Writes what the correlation layer knows of a connection (its 5-tuple, the kernel's wire facts,
/// a request's share of the counters) as attributes of a span or record, under the names of the
/// attribute schema.
/// </summary>
internal static class WireAttributes
{
    /// <summary>
    /// Adds the 5-tuple attributes of a connection seen from the gateway; <paramref name="peerPrivacy"/>,
    /// when given, writes the peer's address (a downstream client's) as the privacy setting asks.
    /// </summary>
    public static void AddConnection(this AttributeList attributes, ConnectionTuple tuple, IPeerAddressFormat? peerPrivacy = null)
    {
        attributes.Add(SemanticConventions.NetworkPeerAddress, peerPrivacy?.Apply(tuple.PeerAddress) ?? tuple.PeerAddress.ToString());
        attributes.Add(SemanticConventions.NetworkPeerPort, (long)tuple.PeerPort);
        attributes.Add(SemanticConventions.NetworkLocalAddress, tuple.LocalAddress.ToString());
        attributes.Add(SemanticConventions.NetworkLocalPort, (long)tuple.LocalPort);
        attributes.Add(SemanticConventions.NetworkTransport, SemanticConventions.TransportTcp);
        attributes.Add(SemanticConventions.NetworkType, tuple.NetworkType);
    }

    /// <summary>Adds <c>wire.observed</c> and, when observed, the wire facts (handshake fields only when known).</summary>
    public static void AddWire(this AttributeList attributes, WireFacts? facts)
    {
        attributes.Add(SemanticConventions.WireObserved, facts is not null);
        if (facts is not { } observed)
        {
            return;
        }

        attributes.AddWireHandshake(observed);
        attributes.AddWireCounters(observed);
    }

    /// <summary>Adds <c>wire.observed</c> and, when observed, the facts that change as the connection goes on (counters).</summary>
    public static void AddWireObserved(this AttributeList attributes, WireFacts? facts)
    {
        attributes.Add(SemanticConventions.WireObserved, facts is not null);
        if (facts is { } observed)
        {
            attributes.AddWireCounters(observed);
        }
    }

    /// <summary>Adds the facts of the connection's handshake, which never change (only those known).</summary>
    public static void AddWireHandshake(this AttributeList attributes, in WireFacts facts)
    {
        attributes.AddIfKnown(SemanticConventions.WireIpTtl, facts.Ttl);
        attributes.AddIfKnown(SemanticConventions.WireIpDscp, facts.Dscp);
        attributes.AddIfKnown(SemanticConventions.WireIpEcn, facts.Ecn);
        attributes.AddIfKnown(SemanticConventions.WireTcpWindow, facts.Window);
        attributes.AddIfKnown(SemanticConventions.WireTcpMss, facts.Mss);
        attributes.AddIfKnown(SemanticConventions.WireTcpWscale, facts.WindowScale);
        attributes.AddIfPresent(SemanticConventions.WireTcpOptions, facts.Options);
        attributes.AddIfPresent(SemanticConventions.WireTcpJa4t, facts.Ja4t);
        attributes.AddIfKnown(SemanticConventions.WireIpDf, facts.DontFragment);
        attributes.AddIfKnown(SemanticConventions.WireTcpHandshakeRttUs, facts.HandshakeRttUs);
    }

    private delegate long Counter(in WireFacts facts);

    // The facts that change as the connection goes on, always written (0 included), in the records' order.
    private static readonly (AttributeName Name, Counter Read)[] Counters =
    [
        (SemanticConventions.WireIpTtlChanges, static (in WireFacts f) => f.TtlChanges),
        (SemanticConventions.WireConnRetransmitsOut, static (in WireFacts f) => f.RetransmitsOut),
        (SemanticConventions.WireConnZeroWindowIn, static (in WireFacts f) => f.ZeroWindowIn),
        (SemanticConventions.WireConnZeroWindowOut, static (in WireFacts f) => f.ZeroWindowOut),
        (SemanticConventions.WireConnPacketsIn, static (in WireFacts f) => f.PacketsIn),
        (SemanticConventions.WireConnPacketsOut, static (in WireFacts f) => f.PacketsOut),
        (SemanticConventions.WireConnBytesIn, static (in WireFacts f) => f.BytesIn),
        (SemanticConventions.WireConnBytesOut, static (in WireFacts f) => f.BytesOut),
    ];

    private static void AddWireCounters(this AttributeList attributes, in WireFacts facts)
    {
        foreach (var (name, read) in Counters)
        {
            attributes.Add(name, read(facts));
        }

        attributes.AddIfPresent(SemanticConventions.WireConnResetBy, facts.ResetBy);
    }

    /// <summary>Adds a request's <c>wire.request.*</c> figures, or <c>wire.request.omitted</c> saying why they are left out.</summary>
    public static void AddWireRequest(this AttributeList attributes, in WireRequestShare share)
    {
        attributes.AddWireRequest(share.Delta);
        attributes.AddIfPresent(SemanticConventions.WireRequestOmitted, share.Omitted);
    }

    /// <summary>Adds the <c>wire.request.*</c> deltas of one request, when the wire was observed.</summary>
    public static void AddWireRequest(this AttributeList attributes, WireRequestDelta? delta)
    {
        if (delta is not { } d)
        {
            return;
        }

        attributes.Add(SemanticConventions.WireRequestPacketsIn, d.PacketsIn);
        attributes.Add(SemanticConventions.WireRequestPacketsOut, d.PacketsOut);
        attributes.Add(SemanticConventions.WireRequestBytesIn, d.BytesIn);
        attributes.Add(SemanticConventions.WireRequestBytesOut, d.BytesOut);
        attributes.Add(SemanticConventions.WireRequestRetransmitsOut, d.RetransmitsOut);
    }
}
