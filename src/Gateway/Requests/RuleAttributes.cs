using System.Net;
using Gateway.ClientIdentity;
using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.Rules;
using Gateway.Telemetry;
using Gateway.Tls;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Model;

namespace Gateway.Requests;

/// <summary>
/// A request's attributes as the rules read them (<see cref="IRuleAttributes"/>): the request
/// line and the headers as the client sent them (not redacted or cut: the rules see what the
/// backend would), the client as <c>ClientIdentity</c> resolves it, the route, the connection's
/// TLS facts and what the kernel saw on it so far. Once the response has ended, everything the
/// server span carries too. Made once per pooled record and reused; made only when rules exist.
/// </summary>
internal sealed class RuleAttributes : IRuleAttributes
{
    private HttpContext _context = null!;
    private IWireView _wireView = null!;
    private RequestRecord _record = null!;
    private ConnectionTuple? _tuple;
    private AttributeList? _late;
    private WireFacts? _wire;
    private bool _wireRead;
    private ForwardedVerdict? _verdict;
    private bool _verdictReadWire;
    private int? _verdictTtl;
    private string? _clientAddress;
    private string[]? _claims;
    private bool _claimsRead;
    private double? _durationMs;
    private Dictionary<string, RuleValue>? _frozen;
    private Dictionary<string, RuleValue>? _frozenStore;

    /// <summary>Made once per pooled record.</summary>
    public RuleAttributes() => IsRedacted = Redacted;

    /// <summary>Which values an alert must not show: what the record redacts under the request's route policy, and the client's addresses when address privacy is on.</summary>
    public Func<string, bool> IsRedacted { get; }

    /// <summary>The connection's cache of the results of the rules that read only its handshake; null: none (evaluated at each request).</summary>
    public ConnectionRuleCache? Connection { get; private set; }

    /// <summary>Points the view at a new request (before routing is fine: the route and its policy are read when asked).</summary>
    public void Reset(HttpContext context, IWireView wireView, RequestRecord record, ConnectionTuple? tuple, ConnectionRuleCache? connection = null)
    {
        Connection = connection;
        _context = context;
        _wireView = wireView;
        _record = record;
        _tuple = tuple;
        _late = null;
        _durationMs = null;
        _wire = null;
        _wireRead = false;
        _verdict = null;
        _verdictReadWire = false;
        _verdictTtl = null;
        _clientAddress = null;
        _claims = null;
        _claimsRead = false;
        _frozen = null;
    }

    /// <summary>
    /// Takes the values of <paramref name="attributes"/> now, while the request's context is valid, for rules
    /// evaluated after the request has ended (when its response's wire figures have settled): from
    /// then on the view answers <c>wire.*</c> from the facts <see cref="AddLate"/> gives, and everything
    /// else from these values and the server span's attributes, never from the context.
    /// </summary>
    public void Freeze(IReadOnlyList<RuleAttribute> attributes)
    {
        var kept = _frozenStore ??= new Dictionary<string, RuleValue>(StringComparer.Ordinal);
        kept.Clear();
        foreach (var attribute in attributes)
        {
            if (!RuleAttributeReader.Of(attribute).FromFacts && TryGet(attribute, out var value))
            {
                kept[attribute.Name] = value;
            }
        }

        _frozen = kept;
    }

    /// <summary>From now on also answers from the server span's attributes (the response phase), with the wire facts as of the end.</summary>
    public void AddLate(AttributeList span, WireFacts? wireAtEnd, double durationMs)
    {
        _late = span;
        _durationMs = durationMs;
        _wire = wireAtEnd;
        _wireRead = true;
    }

    /// <inheritdoc />
    public bool TryGet(string name, out RuleValue value) => TryGet(RuleAttribute.Of(name), out value);

    /// <inheritdoc />
    /// <remarks>
    /// Not kept: a rule program, and a condition evaluated on its own, read each attribute once per run
    /// (<see cref="CelReads"/>); what is costly to make is kept per request below (the verdict, the wire facts, the claims).
    /// </remarks>
    public bool TryGet(RuleAttribute attribute, out RuleValue value) => Read(attribute, out value);

    private bool Read(RuleAttribute attribute, out RuleValue value)
    {
        var reader = RuleAttributeReader.Of(attribute);
        if (_frozen is { } frozen)
        {
            return reader.FromFacts
                ? Wire(reader.Source, attribute.Name, out value)
                : frozen.TryGetValue(attribute.Name, out value) || Late(attribute.Name, out value);
        }

        if (reader.FromFacts)
        {
            return Wire(reader.Source, attribute.Name, out value);
        }

        var request = _context.Request;
        switch (reader.Source)
        {
            case RuleAttributeSource.KnownHeader:
                return Header(reader.KnownHeader!(request.Headers), out value);
            case RuleAttributeSource.Header:
                return Header(request.Headers[attribute.RequestHeader!], out value);
            case RuleAttributeSource.Method:
                return Found(request.Method, out value);
            case RuleAttributeSource.UrlPath:
                return Found(request.PathBase.Add(request.Path).Value ?? "/", out value);
            case RuleAttributeSource.UrlQuery:
                return Found(request.QueryString.HasValue ? request.QueryString.Value![1..] : null, out value);
            case RuleAttributeSource.UrlScheme:
                return Found(request.Scheme, out value);
            case RuleAttributeSource.ProtocolVersion:
                return Found(RequestMiddleware.ProtocolVersion(request.Protocol), out value);
            case RuleAttributeSource.UserAgentOriginal:
                return Found(request.Headers.UserAgent.Count > 0 ? request.Headers.UserAgent.ToString() : null, out value);
            case RuleAttributeSource.ServerAddress when request.Host.HasValue:
                return Found(request.Host.Host, out value);
            case RuleAttributeSource.RouteId:
                return Found(Route()?.Config.RouteId, out value);
            case RuleAttributeSource.ClusterId:
                return Found(Route()?.Cluster?.Model.Config.ClusterId, out value);
            case RuleAttributeSource.PeerAddress when _tuple is { } peer:
                return Found(peer.PeerAddress.ToString(), out value);
            case RuleAttributeSource.PeerPort when _tuple is { } peer:
                value = RuleValue.Of((long)peer.PeerPort);
                return true;
            case RuleAttributeSource.LocalPort when _tuple is { } local:
                value = RuleValue.Of((long)local.LocalPort);
                return true;
            case RuleAttributeSource.ClientAddress when Verdict() is { } verdict:
                // Formatted once per request, however many rules read it.
                return Found(_clientAddress ??= verdict.ClientAddress.ToString(), out value);
            case RuleAttributeSource.OsHint when _tuple is not null:
                return Found(OsHintTable.Of(WireFacts()), out value);
            case RuleAttributeSource.ClaimsMismatch when Claims() is { } claims:
                value = RuleValue.OfStrings(claims);
                return true;
            case RuleAttributeSource.ForwardedTrusted when Verdict() is { Claimed: true } verdict:
                value = RuleValue.Of(verdict.Trusted);
                return true;
            case RuleAttributeSource.ForwardedMismatch when Verdict() is { Claimed: true } verdict:
                return Found(verdict.Mismatch, out value);
            case RuleAttributeSource.DurationMs when _durationMs is { } ms:
                value = RuleValue.Of(Math.Round(ms, 3));
                return true;
            case >= RuleAttributeSource.TlsJa4 and <= RuleAttributeSource.TlsNextProtocol when Tls(reader.Source, out value):
                return true;
        }

        return Late(attribute.Name, out value);
    }

    // A header's values as the client sent them, held in place (a repeated header's array is not copied).
    private static bool Header(StringValues values, out RuleValue value)
    {
        value = values.Count switch
        {
            0 => default,
            1 => RuleValue.OfStrings(values.ToString()),
            _ => RuleValue.OfStrings((string[]?)values),
        };
        return values.Count > 0;
    }

    private bool Redacted(string name)
    {
        // Asked for an alert's values only, by the names the rules read.
        if (RuleAttribute.Of(name).RequestHeader is { } header)
        {
            return _record.Policy.Capture.IsRedacted(header);
        }

        return _record.Snapshot.Anonymizer.IsActive && name is "client.address" or "network.peer.address";
    }

    private static bool Found(string? text, out RuleValue value)
    {
        value = RuleValue.Of(text);
        return text is not null;
    }

    private RouteModel? Route() => _context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>();

    private ForwardedVerdict? Verdict()
    {
        if (_verdict is null && _tuple is { } tuple)
        {
            var headers = _context.Request.Headers;
            var forwarded = headers["Forwarded"];
            var forwardedFor = headers["X-Forwarded-For"];
            // Without forwarding headers the verdict is the peer whatever the wire says: no flow read for it.
            _verdictReadWire = !StringValues.IsNullOrEmpty(forwarded) || !StringValues.IsNullOrEmpty(forwardedFor);
            WireFacts? wire = null;
            if (_verdictReadWire)
            {
                wire = WireFacts();
                _verdictTtl = wire?.Ttl;
            }

            _verdict = _record.Snapshot.Identity.Resolve(tuple.PeerAddress, tuple.PeerPort, forwarded, forwardedFor, wire);
        }

        return _verdict;
    }

    /// <summary>
    /// The forwarded-client verdict the rules resolved for this request, for the record to reuse at the end of the
    /// request instead of resolving it again; null when the rules did not resolve one, or when it could differ from
    /// one resolved with <paramref name="wireAtEnd"/>: the verdict reads the wire only for the handshake TTL (and
    /// only where forwarding headers were sent), so it is the same value unless that TTL differs (the flow was
    /// evicted from the kernel's table and counted again without its handshake, or first seen during the request).
    /// </summary>
    public ForwardedVerdict? SharedVerdict(WireFacts? wireAtEnd) =>
        _verdict is { } verdict && (!_verdictReadWire || _verdictTtl == wireAtEnd?.Ttl) ? verdict : null;

    private WireFacts? WireFacts()
    {
        if (!_wireRead)
        {
            _wireRead = true;
            _wire = _tuple is { } tuple ? _wireView.Lookup(tuple) : null;
        }

        return _wire;
    }

    private bool Wire(RuleAttributeSource source, string name, out RuleValue value)
    {
        // Read for its side effect: copying the large facts out only to test them for null costs per read.
        WireFacts();
        var present = _wire.HasValue;
        if (source == RuleAttributeSource.WireObserved)
        {
            value = RuleValue.Of(present);
            return true;
        }

        if (!present)
        {
            value = default;
            return false;
        }

        // Read in place: the facts are a large struct.
        ref readonly var f = ref Nullable.GetValueRefOrDefaultRef(ref _wire);
        long? number = source switch
        {
            RuleAttributeSource.WireTtl => f.Ttl,
            RuleAttributeSource.WireDscp => f.Dscp,
            RuleAttributeSource.WireEcn => f.Ecn,
            RuleAttributeSource.WireWindow => f.Window,
            RuleAttributeSource.WireMss => f.Mss,
            RuleAttributeSource.WireWindowScale => f.WindowScale,
            RuleAttributeSource.WireHandshakeRtt => f.HandshakeRttUs,
            RuleAttributeSource.WireTtlChanges => f.TtlChanges,
            RuleAttributeSource.WireRetransmitsOut => f.RetransmitsOut,
            RuleAttributeSource.WireZeroWindowIn => f.ZeroWindowIn,
            RuleAttributeSource.WireZeroWindowOut => f.ZeroWindowOut,
            RuleAttributeSource.WirePacketsIn => f.PacketsIn,
            RuleAttributeSource.WirePacketsOut => f.PacketsOut,
            RuleAttributeSource.WireBytesIn => f.BytesIn,
            RuleAttributeSource.WireBytesOut => f.BytesOut,
            _ => null,
        };
        if (number is { } n)
        {
            value = RuleValue.Of(n);
            return true;
        }

        switch (source)
        {
            case RuleAttributeSource.WireOptions:
                return Found(f.Options, out value);
            case RuleAttributeSource.WireJa4t:
                return Found(f.Ja4t, out value);
            case RuleAttributeSource.WireDontFragment when f.DontFragment is { } df:
                value = RuleValue.Of(df);
                return true;
            case RuleAttributeSource.WireResetBy:
                return Found(f.ResetBy, out value);
        }

        return Late(name, out value);
    }

    private bool Tls(RuleAttributeSource source, out RuleValue value)
    {
        // The same facts the record's tls.* attributes come from, computed once per connection.
        var tls = TlsConnectionFacts.Of(_context.Features);
        switch (source)
        {
            case RuleAttributeSource.TlsJa4:
                return Found(tls?.Ja4, out value);
            case RuleAttributeSource.TlsResumed when tls?.Resumed is { } resumed:
                value = RuleValue.Of(resumed);
                return true;
            case RuleAttributeSource.TlsServerName:
                return Found(tls?.ServerName, out value);
            case RuleAttributeSource.TlsProtocolVersion:
                return Found(tls?.ProtocolVersion, out value);
            case RuleAttributeSource.TlsCipher:
                return Found(tls?.Cipher, out value);
            case RuleAttributeSource.TlsNextProtocol:
                return Found(tls?.NextProtocol, out value);
        }

        value = default;
        return false;
    }

    // gateway.client.claims_mismatch as the record will carry it: the User-Agent and forwarding headers against the SYN and the ClientHello.
    private string[]? Claims()
    {
        if (!_claimsRead)
        {
            _claimsRead = true;
            _claims = ClaimsMismatch.Find(ClientClaims.Of(_context, TlsConnectionFacts.Of(_context.Features), WireFacts(), downstream: _tuple is not null));
        }

        return _claims;
    }

    // Anything else the server span carries, once the response has ended.
    private bool Late(string name, out RuleValue value)
    {
        if (_late is not null && Find(_late, name, out value))
        {
            return true;
        }

        value = default;
        return false;
    }

    private static bool Find(AttributeList list, string name, out RuleValue value)
    {
        foreach (var attribute in list.Items)
        {
            if (attribute.Kind == AttributeKind.Group)
            {
                if (Find(attribute.Group, name, out value))
                {
                    return true;
                }

                continue;
            }

            if (attribute.Name.Name != name)
            {
                continue;
            }

            value = attribute.Kind switch
            {
                AttributeKind.Int => RuleValue.Of(attribute.Int),
                AttributeKind.Bool => RuleValue.Of(attribute.Bool),
                AttributeKind.Double => RuleValue.Of(attribute.Double),
                AttributeKind.Strings => RuleValue.OfStrings(attribute.Reference),
                _ => RuleValue.Of(attribute.Reference as string),
            };
            return true;
        }

        value = default;
        return false;
    }
}
