using Gateway.Correlation;
using Gateway.Grpc;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Forwarding;

/// <summary>
/// One request's attempt on the upstream leg, and its join to the upstream connection that
/// really carried it: the client span, the connection's 5-tuple, the wire facts and
/// per-request deltas of that connection, and, when forwarding failed, what went wrong.
/// </summary>
/// <remarks>
/// <code>
///   ServerSpanMiddleware ─► routing ─► [affinity, load balancing, health] ─► UpstreamAttempt.RunAsync ─► YARP forwarder
///
///   1. begin     RunAsync: the client span starts; the attempt becomes Current on the request's async flow
///   2. connect   UpstreamConnector (SocketsHttpHandler.ConnectCallback, same flow): a failed connect is
///                handed to Current (ConnectFailed) and to the FailedConnectLog (for another waiting request)
///   3. carry     UpstreamConnectionStream.Read/Write (same flow): Stamp(tuple) names the connection;
///                from then on the kernel's events on it become events of this attempt's span
///   4. response  YARP's response transform: OnResponse records the destination's status code
///   5. seal      YARP has returned (the response body is copied), or the destination switched
///                protocols (a 101: the attempt ends at the upgrade, not with the tunnel): later stamps
///                (the pool's read-ahead) are ignored and the span stops taking kernel events
///   6. describe  the stamped tuple (or the failed attempt's) ─► wire facts; a failure becomes an
///                UpstreamOutcome on the request's record, for the access record
///   7. record    5-tuple, handshake and per-request deltas (ConnectionLedger), status, errors; the span ends
/// </code>
/// Steps 2 to 4 find the attempt through an <see cref="AsyncLocal{T}"/>: an HTTP/1.1 connection
/// carries one request at a time, and SocketsHttpHandler connects, writes the request and reads
/// the response on the request's own async flow. A multiplexed connection (HTTP/2) is read and
/// written by a loop of its own, outside any request's flow: <see cref="Http2RequestJoin"/> joins
/// the attempt through <see cref="Join"/> with the connection's version, and the ledger leaves such
/// a request's per-request deltas out (see docs/attributes.md).
/// </remarks>
internal sealed partial class UpstreamAttempt
{
    private static readonly AsyncLocal<UpstreamAttempt?> Ambient = new();

    private readonly Lock _gate = new();
    private readonly ConnectionLedger? _ledger;
    private readonly SpanData? _span;
    private readonly IWireView? _view;
    private ConnectionTuple? _tuple;
    private object? _stamped; // who stamped last (its connection stream), read without the lock on every read and write
    private int? _statusCode;
    private FailedConnect? _failedConnect;
    private Version? _protocol;
    private bool _sealed;
    private RequestOnConnection _onConnection;
    private int _finished;

    // What steps 6 and 7 need besides the attempt itself (set by RunAsync; fields, not an object, on this per-request path).
    private IUpstreamRecordFeature? _record;
    private IReverseProxyFeature? _proxy;
    private FailedConnectLog? _failures;
    private ILogger<UpstreamAttempt>? _logger;
    private long _started;

    /// <summary>
    /// An attempt whose connection counts it in <paramref name="ledger"/> and routes its kernel events to
    /// <paramref name="span"/>; <paramref name="view"/> shows where its window on the connection starts (all optional).
    /// </summary>
    internal UpstreamAttempt(ConnectionLedger? ledger = null, SpanData? span = null, IWireView? view = null)
    {
        _ledger = ledger;
        _span = span;
        _view = view;
    }

    /// <summary>The attempt being forwarded on this async flow, if any.</summary>
    public static UpstreamAttempt? Current => Ambient.Value;

    /// <summary>The connection that carried the request; null when none was used (e.g. connect failed).</summary>
    public ConnectionTuple? Tuple
    {
        get { lock (_gate) { return _tuple; } }
    }

    /// <summary>True when the connection carries other requests at the same time (HTTP/2): no per-request deltas.</summary>
    public bool Multiplexed
    {
        get { lock (_gate) { return ConnectionLedger.IsMultiplexed(_protocol); } }
    }

    /// <summary>The HTTP version spoken on the connection that carried the request; null when none did or it is unknown.</summary>
    public Version? HttpVersion => (Volatile.Read(ref _stamped) as UpstreamConnectionStream)?.HttpVersion;

    /// <summary>The status code the destination answered with; null when no response arrived.</summary>
    public int? StatusCode
    {
        get { lock (_gate) { return _statusCode; } }
    }

    /// <summary>A connect attempt made on this request's flow that failed; null when none did (or it ran on another flow).</summary>
    public FailedConnect? FailedConnect
    {
        get { lock (_gate) { return _failedConnect; } }
    }

    /// <summary>The proxy pipeline step that runs <see cref="RunAsync"/> with the container's services.</summary>
    public static Func<HttpContext, RequestDelegate, Task> Step(IServiceProvider services)
    {
        var wireView = services.GetRequiredService<IWireView>();
        var ledger = services.GetRequiredService<ConnectionLedger>();
        var failures = services.GetRequiredService<FailedConnectLog>();
        var logger = services.GetRequiredService<ILogger<UpstreamAttempt>>();
        return (context, next) => RunAsync(context, next, wireView, ledger, failures, logger);
    }

    /// <summary>Makes <paramref name="attempt"/> current for the rest of the caller's async flow.</summary>
    /// <remarks>
    /// An AsyncLocal set inside an async method reverts when that method returns, so the
    /// caller needs no undo step; the value only flows to what the caller awaits.
    /// </remarks>
    internal static void Begin(UpstreamAttempt attempt) => Ambient.Value = attempt;

    /// <summary>
    /// Step 4, YARP's response transform: records the destination's status code on the current attempt;
    /// a 101 ends the attempt now (steps 5 to 7), before the tunnel's bytes flow.
    /// </summary>
    public static ValueTask OnResponse(ResponseTransformContext context)
    {
        if (context.ProxyResponse is { } response && Current is { } attempt)
        {
            attempt.SetStatusCode((int)response.StatusCode);
            if (response.StatusCode == System.Net.HttpStatusCode.SwitchingProtocols)
            {
                attempt.Finish(context.HttpContext);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Forwards the request inside its client span (steps 1, 5, 6 and 7; YARP runs 2 to 4).</summary>
    public static async Task RunAsync(HttpContext context, RequestDelegate next, IWireView wireView, ConnectionLedger ledger, FailedConnectLog failures, ILogger<UpstreamAttempt> logger)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.AvailableDestinations.Count == 0)
        {
            // YARP answers 503 without an attempt: there is no upstream leg to describe.
            await next(context);
            return;
        }

        // 1. begin
        var record = context.Features.Get<IUpstreamRecordFeature>();
        var span = record is null ? null : StartSpan(context, record);
        var attempt = new UpstreamAttempt(ledger, span, wireView);
        (attempt._record, attempt._proxy, attempt._failures, attempt._logger, attempt._started) = (record, proxy, failures, logger, Environment.TickCount64);
        Begin(attempt);
        try
        {
            // 2. connect, 3. carry, 4. response
            await next(context);
        }
        finally
        {
            // YARP has finished copying the response body when next() returns (or the tunnel after a 101 closed).
            attempt.Finish(context);
        }
    }

    /// <summary>Steps 5 to 7, once: at the end of the forwarding, or at a 101.</summary>
    private void Finish(HttpContext context)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0 || _proxy is not { } proxy)
        {
            return;
        }

        // 5. seal
        Seal();
        // Without a record (no server span middleware in front) there is no one to tell.
        if (_span is not { } span)
        {
            return;
        }

        try
        {
            // 6. describe, 7. record
            var outcome = Describe(context, proxy, _view!, _failures!, _started, out var tuple, out var facts);
            if (outcome is not null)
            {
                _record!.UpstreamOutcome = outcome;
            }

            Record(context, proxy, span, outcome, tuple, facts);
        }
        catch (Exception e)
        {
            Log.TelemetryFailed(_logger!, e);
        }

        // Exported with the request's record, once its sampling has decided.
        span.EndUnixNano = UnixTime.NowNanos();
    }

    /// <summary>Step 2: records a failed connect attempt made for this request.</summary>
    public void ConnectFailed(FailedConnect attempt)
    {
        lock (_gate)
        {
            if (!_sealed)
            {
                _failedConnect = attempt;
            }
        }
    }

    /// <summary>Step 3: records that <paramref name="tuple"/> carried bytes of this request.</summary>
    public void Stamp(ConnectionTuple tuple) => Stamp(tuple, by: null);

    /// <summary>
    /// As <see cref="Stamp(ConnectionTuple)"/>, from <paramref name="by"/>, an object standing for the
    /// connection (its stream): every read and write stamps, and the same one again costs no lock.
    /// </summary>
    public void Stamp(ConnectionTuple tuple, object? by)
    {
        if (by is not null && ReferenceEquals(Volatile.Read(ref _stamped), by))
        {
            return;
        }

        Join(tuple, by, protocol: null);
    }

    /// <summary>
    /// Step 3 for any transport: the request is carried by <paramref name="tuple"/> (named by
    /// <paramref name="by"/>, its stream, or null), which speaks <paramref name="protocol"/> (null: one
    /// request at a time); the ledger decides what a request on such a connection gets.
    /// </summary>
    public void Join(ConnectionTuple tuple, object? by, Version? protocol)
    {
        lock (_gate)
        {
            // A read started for this request may complete after it ended (the pool's
            // read-ahead); once sealed, the answer is final.
            if (!_sealed && (_tuple != tuple || ConnectionLedger.IsMultiplexed(_protocol) != ConnectionLedger.IsMultiplexed(protocol)))
            {
                _tuple = tuple;
                _protocol = protocol;
                Volatile.Write(ref _stamped, by);
                _onConnection.Dispose();
                // Joined before the request's first byte is written (or read): the stream's ends so far are where it begins.
                _onConnection = _span is { } span && _ledger is { } ledger
                    ? ledger.Begin(tuple, span, protocol, _view, began: (by as UpstreamConnectionStream)?.Ends, answers: false)
                    : default;
            }
        }
    }

    /// <summary>Step 4: records the destination's status code.</summary>
    public void SetStatusCode(int statusCode)
    {
        lock (_gate)
        {
            if (!_sealed)
            {
                _statusCode = statusCode;
            }
        }
    }

    /// <summary>Step 5: ends the attempt: later stamps are ignored.</summary>
    public void Seal()
    {
        lock (_gate)
        {
            _sealed = true;
            // The request stays counted on its connection (Record accounts it); only the events stop.
            _onConnection.Dispose();
        }
    }

    private static SpanData StartSpan(HttpContext context, IUpstreamRecordFeature record)
    {
        var span = record.Telemetry.AddSpan();
        var server = record.Server;
        span.Kind = SpanKindCode.Client;
        span.Name = context.Request.Method;
        span.TraceId = server.TraceId;
        span.ParentSpanId = server.SpanId;
        span.TraceFlags = server.TraceFlags;
        span.TraceState = server.TraceState;
        span.SpanId = SpanIds.NewRandom();
        span.StartUnixNano = UnixTime.NowNanos();
        // The traceparent sent upstream (TraceContextTransform) names this attempt.
        record.Upstream = span;
        return span;
    }

    /// <summary>
    /// Step 6: the connection of the request (or, when connecting failed, the failed attempt) and what
    /// the kernel saw on it; when forwarding failed, the <see cref="UpstreamOutcome"/> for the access record.
    /// </summary>
    private UpstreamOutcome? Describe(HttpContext context, IReverseProxyFeature proxy, IWireView wireView, FailedConnectLog failures, long started,
        out ConnectionTuple? tuple, out WireFacts? facts)
    {
        tuple = Tuple;
        var error = ForwarderErrors.Of(context);
        FailedConnect? attempt = null;
        if (tuple is null && error is not null)
        {
            attempt = FailedConnect;
            if (attempt is null && proxy.ProxiedDestination?.Model is { } model && Destination(model) is { } destination)
            {
                // The pool may have connected for another request and failed this one: find the attempt by destination and time.
                attempt = failures.Latest(destination.Host, destination.Port, started);
            }

            tuple = attempt?.Tuple;
        }

        facts = tuple is { } t ? wireView.Lookup(t) : null;
        return error is null ? null : new UpstreamOutcome(UpstreamErrors.Of(error, attempt), tuple, facts);
    }

    /// <summary>Step 7: the client span's attributes.</summary>
    private void Record(HttpContext context, IReverseProxyFeature proxy, SpanData span, UpstreamOutcome? outcome,
        ConnectionTuple? tuple, WireFacts? facts)
    {
        var attributes = span.Attributes;
        attributes.Add(SemanticConventions.HttpRequestMethod, context.Request.Method);

        if (proxy.ProxiedDestination?.Model is { } destinationModel && Destination(destinationModel) is { } destination)
        {
            attributes.Add(SemanticConventions.ServerAddress, destination.Host);
            attributes.Add(SemanticConventions.ServerPort, (long)destination.Port);
        }

        var carried = Tuple;
        WireRequestShare share = default;
        RequestOnConnection onConnection;
        lock (_gate)
        {
            onConnection = _onConnection;
        }

        if (onConnection.IsTracked)
        {
            // The 5-tuple and the handshake facts, the same for every request on the pooled connection
            // (kept until the connection closes), and this request's share of the counters. Counted on
            // the entry the request began on: a connection that closed meanwhile (the pool drops one
            // that broke) is not added back.
            var ends = (Volatile.Read(ref _stamped) as UpstreamConnectionStream)?.Ends;
            // Never pending on this leg (see ConnectionLedger.Begin's began).
            attributes.AddGroup(onConnection.Account(facts, peerPrivacy: null, ends, out share));
        }
        else if (tuple is { } failed)
        {
            attributes.AddConnection(failed);
        }

        attributes.AddIfPresent(SemanticConventions.NetworkProtocolVersion, ProtocolVersion(HttpVersion));
        var status = StatusCode;
        if (status is { } code)
        {
            attributes.Add(SemanticConventions.HttpResponseStatusCode, (long)code);
        }

        // A gRPC call: the status the destination gave in its trailers (YARP has copied them by now), or,
        // without an answer, what a gRPC client makes of the gateway's 502.
        var grpc = GrpcCall.Of(context, status ?? StatusCodes.Status502BadGateway);
        grpc?.AddTo(attributes);

        attributes.Add(SemanticConventions.GatewayRouteId, proxy.Route.Config.RouteId);
        attributes.AddIfPresent(SemanticConventions.GatewayClusterId, proxy.Cluster?.Config.ClusterId);
        attributes.AddIfPresent(SemanticConventions.GatewayDestinationId, proxy.ProxiedDestination?.DestinationId);

        var error = ForwarderErrors.Of(context);
        if (error is not null)
        {
            attributes.Add(SemanticConventions.ErrorType, ForwarderErrors.ErrorType(error));
            attributes.AddIfPresent(SemanticConventions.GatewayUpstreamError, outcome?.Error);
            span.SetError(ForwarderErrors.Describe(error));
        }
        else if (grpc is { IsClientError: true } call)
        {
            // A gRPC call fails inside an HTTP 200; for its caller any status but OK is an error (the conventions' client span).
            attributes.Add(SemanticConventions.ErrorType, call.ErrorType);
            span.SetError();
        }
        else if (status >= 400)
        {
            // OpenTelemetry's HTTP conventions: for a client span a 4xx is an error too (the server span leaves it unset,
            // since it is the caller's doing); error.type is the status code.
            attributes.Add(SemanticConventions.ErrorType, status.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            span.SetError();
        }

        if (carried is null)
        {
            attributes.AddWire(facts);
        }
        else
        {
            attributes.AddWireObserved(facts);
        }

        if (facts is not null)
        {
            attributes.AddWireRequest(share);
        }

        WireEventRouter.Reconcile(span, facts);
    }

    /// <summary><c>network.protocol.version</c> of an HTTP version: <c>1.1</c>, <c>2</c>, <c>3</c>.</summary>
    internal static string? ProtocolVersion(Version? version) => version switch
    {
        null => null,
        { Major: 1, Minor: 1 } => "1.1",
        { Major: 1, Minor: 0 } => "1.0",
        { Major: 2 } => "2",
        { Major: 3 } => "3",
        _ => version.ToString(),
    };

    // The destination's address, parsed once per destination model (YARP replaces the model when the configuration changes).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DestinationModel, Uri?> Destinations = [];

    private static Uri? Destination(DestinationModel model) =>
        Destinations.GetValue(model, static m => Uri.TryCreate(m.Config.Address, UriKind.Absolute, out var uri) ? uri : null);
}
