using System.Diagnostics;
using Gateway.ClientIdentity;
using Gateway.Correlation;

namespace Gateway.Telemetry;

/// <summary>
/// The attributes of one record or span, in the order they were added. It is the log
/// state of the gateway's records (OpenTelemetry takes an
/// <c>IReadOnlyList&lt;KeyValuePair&lt;string, object?&gt;&gt;</c> state as the attributes)
/// and is copied onto spans with <see cref="CopyTo"/>.
/// </summary>
internal sealed class AttributeList : List<KeyValuePair<string, object?>>
{
    /// <summary>Attributes of a server span or access record besides the captured headers: the fixed ones and the wire.* ones.</summary>
    public const int RecordCapacity = 64;

    /// <summary>An empty list.</summary>
    public AttributeList()
    {
    }

    /// <summary>An empty list with room for <paramref name="capacity"/> attributes, so that a record is built without regrowing.</summary>
    public AttributeList(int capacity)
        : base(capacity)
    {
    }

    /// <summary>Adds an attribute.</summary>
    public void Add(string name, object? value) => Add(new KeyValuePair<string, object?>(name, value));

    /// <summary>Adds an attribute unless <paramref name="value"/> is null or empty.</summary>
    public void AddIfPresent(string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            Add(name, value);
        }
    }

    /// <summary>What went wrong upstream and what the kernel saw on that connection or attempt (access record).</summary>
    public void AddUpstreamOutcome(Gateway.Forwarding.UpstreamOutcome outcome)
    {
        Add(SemanticConventions.GatewayUpstreamError, outcome.Error);
        if (outcome.Tuple is { } tuple)
        {
            Add(SemanticConventions.GatewayUpstreamLocalPort, (long)tuple.LocalPort);
        }

        if (outcome.Facts is { } facts)
        {
            Add(SemanticConventions.GatewayUpstreamPacketsOut, facts.PacketsOut);
            Add(SemanticConventions.GatewayUpstreamPacketsIn, facts.PacketsIn);
            Add(SemanticConventions.GatewayUpstreamRetransmitsOut, facts.RetransmitsOut);
            AddIfPresent(SemanticConventions.GatewayUpstreamResetBy, facts.ResetBy);
        }
    }

    /// <summary>
    /// Adds the 5-tuple attributes of a connection seen from the gateway; <paramref name="peerPrivacy"/>,
    /// when given, writes the peer's address (a downstream client's) as the privacy setting asks.
    /// </summary>
    public void AddConnection(ConnectionTuple tuple, ClientAddressAnonymizer? peerPrivacy = null)
    {
        Add(SemanticConventions.NetworkPeerAddress, peerPrivacy?.Apply(tuple.PeerAddress) ?? tuple.PeerAddress.ToString());
        Add(SemanticConventions.NetworkPeerPort, (long)tuple.PeerPort);
        Add(SemanticConventions.NetworkLocalAddress, tuple.LocalAddress.ToString());
        Add(SemanticConventions.NetworkLocalPort, (long)tuple.LocalPort);
        Add(SemanticConventions.NetworkTransport, SemanticConventions.TransportTcp);
        Add(SemanticConventions.NetworkType, tuple.NetworkType);
    }

    /// <summary>Adds <c>wire.observed</c> and, when observed, the wire facts (handshake fields only when known).</summary>
    public void AddWire(WireFacts? facts)
    {
        Add(SemanticConventions.WireObserved, facts is not null);
        if (facts is null)
        {
            return;
        }

        AddIfKnown(SemanticConventions.WireIpTtl, facts.Ttl);
        AddIfKnown(SemanticConventions.WireIpDscp, facts.Dscp);
        AddIfKnown(SemanticConventions.WireIpEcn, facts.Ecn);
        AddIfKnown(SemanticConventions.WireTcpWindow, facts.Window);
        AddIfKnown(SemanticConventions.WireTcpMss, facts.Mss);
        AddIfKnown(SemanticConventions.WireTcpWscale, facts.WindowScale);
        AddIfPresent(SemanticConventions.WireTcpOptions, facts.Options);
        AddIfPresent(SemanticConventions.WireTcpFingerprint, facts.Fingerprint);
        AddIfKnown(SemanticConventions.WireIpDf, facts.DontFragment);
        AddIfKnown(SemanticConventions.WireTcpHandshakeRttUs, facts.HandshakeRttUs);

        Add(SemanticConventions.WireIpTtlChanges, facts.TtlChanges);
        Add(SemanticConventions.WireConnRetransmitsOut, facts.RetransmitsOut);
        Add(SemanticConventions.WireConnZeroWindowIn, facts.ZeroWindowIn);
        Add(SemanticConventions.WireConnZeroWindowOut, facts.ZeroWindowOut);
        AddIfPresent(SemanticConventions.WireConnResetBy, facts.ResetBy);
        Add(SemanticConventions.WireConnPacketsIn, facts.PacketsIn);
        Add(SemanticConventions.WireConnPacketsOut, facts.PacketsOut);
        Add(SemanticConventions.WireConnBytesIn, facts.BytesIn);
        Add(SemanticConventions.WireConnBytesOut, facts.BytesOut);
    }

    /// <summary>Adds the <c>wire.request.*</c> deltas of one request, when the wire was observed.</summary>
    public void AddWireRequest(WireRequestDelta? delta)
    {
        if (delta is null)
        {
            return;
        }

        Add(SemanticConventions.WireRequestPacketsIn, delta.PacketsIn);
        Add(SemanticConventions.WireRequestPacketsOut, delta.PacketsOut);
        Add(SemanticConventions.WireRequestBytesIn, delta.BytesIn);
        Add(SemanticConventions.WireRequestBytesOut, delta.BytesOut);
        Add(SemanticConventions.WireRequestRetransmitsOut, delta.RetransmitsOut);
    }

    /// <summary>The value of the first attribute named <paramref name="name"/>, or null.</summary>
    public object? Find(string name)
    {
        foreach (var (key, value) in this)
        {
            if (key == name)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Adds every attribute with a value as a tag of <paramref name="activity"/>, in order.</summary>
    /// <remarks>
    /// <c>AddTag</c>, not <c>SetTag</c>: <c>SetTag</c> first searches the span's tags for the
    /// name, which made copying a 40-attribute record quadratic and a visible share of the
    /// gateway's CPU under load (docs/benchmarks.md). The spans this is used on carry no tags
    /// before the copy, and the list's names are unique, so nothing is duplicated; a null
    /// value is skipped, as <c>SetTag</c> would not have added it.
    /// </remarks>
    public void CopyTo(Activity activity)
    {
        foreach (var (key, value) in this)
        {
            if (value is not null)
            {
                activity.AddTag(key, value);
            }
        }
    }

    private void AddIfKnown(string name, long? value)
    {
        if (value is { } v)
        {
            Add(name, v);
        }
    }

    private void AddIfKnown(string name, bool? value)
    {
        if (value is { } v)
        {
            Add(name, v);
        }
    }

    private void AddIfKnown(string name, int? value)
    {
        if (value is { } v)
        {
            Add(name, (long)v);
        }
    }
}
