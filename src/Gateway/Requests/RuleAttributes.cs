using System.Collections.Concurrent;
using System.Net;
using Gateway.ClientIdentity;
using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.Rules;
using Gateway.Telemetry;
using Gateway.Tls;
using Microsoft.AspNetCore.Http;
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
    private const string HeaderPrefix = "http.request.header.";

    // "http.request.header.user-agent" -> "user-agent": rule names come from the configuration, so this stays small.
    private static readonly ConcurrentDictionary<string, string> HeaderNames = new(StringComparer.Ordinal);

    private HttpContext _context = null!;
    private IWireView _wireView = null!;
    private RequestRecord _record = null!;
    private ConnectionTuple? _tuple;
    private AttributeList? _late;
    private WireFacts? _wire;
    private bool _wireRead;
    private ForwardedVerdict? _verdict;
    private string? _clientAddress;
    private string[]? _claims;
    private bool _claimsRead;
    private double? _durationMs;
    private Dictionary<string, RuleValue>? _frozen;
    private Dictionary<string, RuleValue>? _frozenStore;

    // What this evaluation has read so far: ten typical rules read about ten names, the User-Agent
    // three times. Keyed by the name's reference (CelCompiler interns the names its conditions read),
    // so a repeat costs a few compares instead of a header lookup; a miss just reads anew. Cleared
    // whenever what the view answers from changes (Reset, Freeze, AddLate).
    private const int ReadsKept = 16;
    private readonly string?[] _readNames = new string?[ReadsKept];
    private readonly RuleValue[] _readValues = new RuleValue[ReadsKept];
    private readonly bool[] _readFound = new bool[ReadsKept];
    private int _readCount;

    /// <summary>Made once per pooled record.</summary>
    public RuleAttributes() => IsRedacted = Redacted;

    /// <summary>Which values an alert must not show: what the record redacts under the request's route policy, and the client's addresses when address privacy is on.</summary>
    public Func<string, bool> IsRedacted { get; }

    /// <summary>Points the view at a new request (before routing is fine: the route and its policy are read when asked).</summary>
    public void Reset(HttpContext context, IWireView wireView, RequestRecord record, ConnectionTuple? tuple)
    {
        _context = context;
        _wireView = wireView;
        _record = record;
        _tuple = tuple;
        _late = null;
        _durationMs = null;
        _wire = null;
        _wireRead = false;
        _verdict = null;
        _clientAddress = null;
        _claims = null;
        _claimsRead = false;
        _frozen = null;
        ForgetReads();
    }

    /// <summary>
    /// Takes the values of <paramref name="names"/> now, while the request's context is valid, for rules
    /// evaluated after the request has ended (when its response's wire figures have settled): from
    /// then on the view answers <c>wire.*</c> from the facts <see cref="AddLate"/> gives, and everything
    /// else from these values and the server span's attributes, never from the context.
    /// </summary>
    public void Freeze(IReadOnlyList<string> names)
    {
        var kept = _frozenStore ??= new Dictionary<string, RuleValue>(StringComparer.Ordinal);
        kept.Clear();
        ForgetReads();
        foreach (var name in names)
        {
            if (!name.StartsWith("wire.", StringComparison.Ordinal) && TryGet(name, out var value))
            {
                kept[name] = value;
            }
        }

        _frozen = kept;
        ForgetReads();
    }

    /// <summary>From now on also answers from the server span's attributes (the response phase), with the wire facts as of the end.</summary>
    public void AddLate(AttributeList span, WireFacts? wireAtEnd, double durationMs)
    {
        _late = span;
        _durationMs = durationMs;
        _wire = wireAtEnd;
        _wireRead = true;
        ForgetReads();
    }

    /// <inheritdoc />
    public bool TryGet(string name, out RuleValue value)
    {
        var count = _readCount;
        var names = _readNames;
        for (var i = 0; i < count; i++)
        {
            if (ReferenceEquals(names[i], name))
            {
                value = _readValues[i];
                return _readFound[i];
            }
        }

        var found = Read(name, out value);
        if (count < ReadsKept)
        {
            names[count] = name;
            _readValues[count] = value;
            _readFound[count] = found;
            _readCount = count + 1;
        }

        return found;
    }

    private void ForgetReads()
    {
        // The values hold the request's strings: let them go with it.
        Array.Clear(_readNames, 0, _readCount);
        Array.Clear(_readValues, 0, _readCount);
        _readCount = 0;
    }

    private bool Read(string name, out RuleValue value)
    {
        if (_frozen is { } frozen)
        {
            return name.StartsWith("wire.", StringComparison.Ordinal) && !name.StartsWith("wire.request.", StringComparison.Ordinal)
                ? Wire(name, out value)
                : frozen.TryGetValue(name, out value) || Late(name, out value);
        }

        var request = _context.Request;
        if (name.StartsWith(HeaderPrefix, StringComparison.Ordinal))
        {
            var header = HeaderNames.GetOrAdd(name, static n => n[HeaderPrefix.Length..]);
            var values = request.Headers[header];
            value = values.Count switch
            {
                0 => default,
                1 => RuleValue.OfStrings(values.ToString()),
                _ => RuleValue.OfStrings(values.ToArray()),
            };
            return values.Count > 0;
        }

        if (name.StartsWith("wire.", StringComparison.Ordinal) && !name.StartsWith("wire.request.", StringComparison.Ordinal))
        {
            return Wire(name, out value);
        }

        if (name.StartsWith("tls.", StringComparison.Ordinal) && Tls(name, out value))
        {
            return true;
        }

        switch (name)
        {
            case "http.request.method":
                return Found(request.Method, out value);
            case "url.path":
                return Found(request.PathBase.Add(request.Path).Value ?? "/", out value);
            case "url.query":
                return Found(request.QueryString.HasValue ? request.QueryString.Value![1..] : null, out value);
            case "url.scheme":
                return Found(request.Scheme, out value);
            case "network.protocol.version":
                return Found(RequestMiddleware.ProtocolVersion(request.Protocol), out value);
            case "user_agent.original":
                return Found(request.Headers.UserAgent.Count > 0 ? request.Headers.UserAgent.ToString() : null, out value);
            case "server.address" when request.Host.HasValue:
                return Found(request.Host.Host, out value);
            case "gateway.route.id":
                return Found(Route()?.Config.RouteId, out value);
            case "gateway.cluster.id":
                return Found(Route()?.Cluster?.Model.Config.ClusterId, out value);
            case "network.peer.address" when _tuple is { } peer:
                return Found(peer.PeerAddress.ToString(), out value);
            case "network.peer.port" when _tuple is { } peer:
                value = RuleValue.Of((long)peer.PeerPort);
                return true;
            case "network.local.port" when _tuple is { } local:
                value = RuleValue.Of((long)local.LocalPort);
                return true;
            case "client.address" when Verdict() is { } verdict:
                // Formatted once per request, however many rules read it.
                return Found(_clientAddress ??= verdict.ClientAddress.ToString(), out value);
            case "gateway.client.os_hint" when _tuple is not null:
                return Found(OsHintTable.Of(WireFacts()), out value);
            case "gateway.client.claims_mismatch" when Claims() is { } claims:
                value = RuleValue.OfStrings(claims);
                return true;
            case "gateway.forwarded.trusted" when Verdict() is { Claimed: true } verdict:
                value = RuleValue.Of(verdict.Trusted);
                return true;
            case "gateway.forwarded.mismatch" when Verdict() is { Claimed: true } verdict:
                return Found(verdict.Mismatch, out value);
            case "gateway.request.duration_ms" when _durationMs is { } ms:
                value = RuleValue.Of(Math.Round(ms, 3));
                return true;
        }

        return Late(name, out value);
    }

    private bool Redacted(string name)
    {
        if (name.StartsWith(HeaderPrefix, StringComparison.Ordinal))
        {
            return _record.Policy.Capture.IsRedacted(HeaderNames.GetOrAdd(name, static n => n[HeaderPrefix.Length..]));
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
            _verdict = _record.Snapshot.Identity.Resolve(tuple.PeerAddress, tuple.PeerPort, headers["Forwarded"], headers["X-Forwarded-For"], WireFacts());
        }

        return _verdict;
    }

    private WireFacts? WireFacts()
    {
        if (!_wireRead)
        {
            _wireRead = true;
            _wire = _tuple is { } tuple ? _wireView.Lookup(tuple) : null;
        }

        return _wire;
    }

    private bool Wire(string name, out RuleValue value)
    {
        var facts = WireFacts();
        if (name == "wire.observed")
        {
            value = RuleValue.Of(facts is not null);
            return true;
        }

        if (facts is not { } f)
        {
            value = default;
            return false;
        }

        long? number = name switch
        {
            "wire.ip.ttl" => f.Ttl,
            "wire.ip.dscp" => f.Dscp,
            "wire.ip.ecn" => f.Ecn,
            "wire.tcp.window" => f.Window,
            "wire.tcp.mss" => f.Mss,
            "wire.tcp.wscale" => f.WindowScale,
            "wire.tcp.handshake_rtt_us" => f.HandshakeRttUs,
            "wire.ip.ttl_changes" => f.TtlChanges,
            "wire.conn.retransmits_out" => f.RetransmitsOut,
            "wire.conn.zero_window_in" => f.ZeroWindowIn,
            "wire.conn.zero_window_out" => f.ZeroWindowOut,
            "wire.conn.packets_in" => f.PacketsIn,
            "wire.conn.packets_out" => f.PacketsOut,
            "wire.conn.bytes_in" => f.BytesIn,
            "wire.conn.bytes_out" => f.BytesOut,
            _ => null,
        };
        if (number is { } n)
        {
            value = RuleValue.Of(n);
            return true;
        }

        switch (name)
        {
            case "wire.tcp.options":
                return Found(f.Options, out value);
            case "wire.tcp.ja4t":
                return Found(f.Ja4t, out value);
            case "wire.ip.df" when f.DontFragment is { } df:
                value = RuleValue.Of(df);
                return true;
            case "wire.conn.reset_by":
                return Found(f.ResetBy, out value);
        }

        return Late(name, out value);
    }

    private bool Tls(string name, out RuleValue value)
    {
        // The same facts the record's tls.* attributes come from, computed once per connection.
        var tls = TlsConnectionFacts.Of(_context.Features);
        switch (name)
        {
            case "tls.client.ja4":
                return Found(tls?.Ja4, out value);
            case "tls.resumed" when tls?.Resumed is { } resumed:
                value = RuleValue.Of(resumed);
                return true;
            case "tls.client.server_name":
                return Found(tls?.ServerName, out value);
            case "tls.protocol.version":
                return Found(tls?.ProtocolVersion, out value);
            case "tls.cipher":
                return Found(tls?.Cipher, out value);
            case "tls.next_protocol":
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
