using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Gateway.ClientIdentity;
using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.Forwarding;
using Gateway.Grpc;
using Gateway.HeaderCapture;
using Gateway.Sampling;
using Gateway.Telemetry;
using Gateway.Tls;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Model;

namespace Gateway.Requests;

/// <summary>
/// The first middleware, which drives one request through the feature rooms: the policy
/// snapshot, header capture, correlation with the wire, sampling, and at the end one server
/// span and the access record, submitted to the record pipeline. The feature rooms know
/// nothing of each other; this is where they meet.
/// </summary>
/// <remarks>
/// <code>
///   1. take the policy snapshot, the header order, put RequestRecord + IWireAnomalyFeature on the context
///   2. routing ─► RequestHeaderCaptureMiddleware captures request headers under the route's policy
///   3. proxy pipeline; UpstreamAttempt adds one client span per attempt to the same record
///   4. response ends: client identity, wire facts, response headers, query redaction
///   5. sampling decides; record kept ─► submitted (server span, client spans, access record); dropped ─► back to the pool.
///      A response still leaving: the record waits for its wire figures (WaitingRecord), and sampling decides then
/// </code>
/// </remarks>
internal sealed partial class RequestMiddleware(
    RequestDelegate next,
    IWireView wireView,
    ConnectionLedger ledger,
    PolicySnapshotSource policies,
    RecordPipeline records,
    WireMetrics wireMetrics,
    ILogger<RequestMiddleware> logger)
{
    // "GET {**catch-all}" and the like, built once per method and route template.
    private static readonly ConcurrentDictionary<(string Method, string Template), string> SpanNames = new();

    /// <summary>Runs the request inside its server span and writes the access record.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var telemetry = records.Rent();
        var span = telemetry.AddSpan();
        span.Kind = SpanKindCode.Server;
        span.StartUnixNano = UnixTime.NowNanos();
        span.SpanId = SpanIds.NewRandom();
        if (!TraceContext.TryContinue(context.Request.Headers, span))
        {
            span.TraceId = TraceId.NewRandom();
            span.TraceFlags = TraceContext.Sampled;
        }
        else if ((span.TraceFlags & TraceContext.Sampled) == 0)
        {
            // The caller's trace is not sampled: no spans for it, as a parent-based sampler would
            // decide; the access record is still written and names the trace.
            telemetry.ExportSpans = false;
        }

        var record = RequestRecord.For(telemetry, policies.Current, span, HeaderOrderRecorder.Take(context.Request.Protocol));
        context.Features.Set(record);
        // The upstream leg writes its client spans through its own room's view of the record.
        context.Features.Set<IUpstreamRecordFeature>(record);
        // One set by an earlier middleware (the correlation layer, a test) is kept, so that its flag counts.
        var anomaly = context.Features.Get<IWireAnomalyFeature>();
        if (anomaly is null)
        {
            context.Features.Set<IWireAnomalyFeature>(record);
            anomaly = record;
        }

        // Kernel events on this connection become events of this span while it runs.
        var tuple = DownstreamTuple(context.Connection);
        var tracking = tuple is { } inFlight ? ledger.Begin(inFlight, span, HttpVersionOf(context.Request.Protocol), wireView) : default;
        Requests.RequestRules.Start(record, context, wireView, tuple, tracking);
        // An upgrade (WebSocket) is recorded once the 101 has gone, not when the tunnel closes.
        var upgrade = RecordAtUpgrade.Install(this, context, record, anomaly, tuple, tracking, started);
        Exception? failure = null;
        try
        {
            await next(context);
            if (tracking.IsTracked && wireView.IsActive && IsHttp1(context.Request.Protocol)
                && context.Response.StatusCode != StatusCodes.Status101SwitchingProtocols)
            {
                // Finish the response now (Kestrel would right after this middleware): the transport then
                // holds every byte of it, so the record knows where the response ends on the wire. Only
                // where a share is taken: elsewhere it is an extra flush and yield per request.
                await context.Response.CompleteAsync();
            }
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            HeaderOrderRecorder.Clear(context.Request.Protocol);
            if (upgrade?.TryTake() != false)
            {
                Finish(context, record, anomaly, tuple, tracking, started, failure);
            }
        }
    }

    /// <summary>Hands the record over (or back to the pool when sampling drops it); the request must not touch it afterwards.</summary>
    internal void Finish(HttpContext context, RequestRecord record, IWireAnomalyFeature anomaly, ConnectionTuple? tuple, RequestOnConnection tracking, long started,
        Exception? failure)
    {
        // No kernel event may reach the span once the record is handed over.
        tracking.Dispose();
        var submitted = false;
        try
        {
            submitted = Complete(context, record, anomaly, tuple, tracking, started, failure);
        }
        catch (Exception e)
        {
            Log.TelemetryFailed(logger, e);
        }
        finally
        {
            if (!submitted)
            {
                record.Telemetry.Discard();
            }
        }
    }

    /// <summary>Builds the record, decides sampling, submits it when kept; returns whether it was submitted.</summary>
    private bool Complete(HttpContext context, RequestRecord record, IWireAnomalyFeature anomaly, ConnectionTuple? tuple, RequestOnConnection onConnection, long started, Exception? failure)
    {
        var span = record.Server;
        var request = context.Request;
        var proxy = context.Features.Get<IReverseProxyFeature>();
        var template = proxy?.Route.Config.Match.Path ?? (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var status = failure is not null && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
        var snapshot = record.Snapshot;
        var capture = record.Policy.Capture;
        var path = request.PathBase.Add(request.Path).Value ?? "/";
        var query = request.QueryString.HasValue ? capture.RedactQuery(request.QueryString.Value![1..]) : null;

        // At the end of the request: the counters then include this request and its response.
        var wire = tuple is { } t ? wireView.Lookup(t) : null;
        if (tuple is not null && wireView.IsActive)
        {
            // The table is an LRU of bounded size: under pressure a flow is evicted and counted
            // again from mid-connection (no handshake facts), or not found at all. Count both.
            wireMetrics.Incomplete(wire is null ? WireMetrics.NoFlow : wire.Value.Ttl is null ? WireMetrics.NoHandshake : null);
        }

        var attributes = span.Attributes;
        attributes.Add(SemanticConventions.HttpRequestMethod, request.Method);
        attributes.Add(SemanticConventions.UrlScheme, request.Scheme);
        attributes.Add(SemanticConventions.UrlPath, path);
        attributes.AddIfPresent(SemanticConventions.UrlQuery, query);
        attributes.AddIfPresent(SemanticConventions.HttpRoute, template);
        attributes.Add(SemanticConventions.HttpResponseStatusCode, (long)status);
        attributes.AddIfPresent(SemanticConventions.NetworkProtocolVersion, ProtocolVersion(request.Protocol));
        if (request.Headers.UserAgent.Count > 0)
        {
            attributes.AddIfPresent(SemanticConventions.UserAgentOriginal,
                capture.IsRedacted(HeaderNames.UserAgent) ? SemanticConventions.RedactedValue : capture.Limit(request.Headers.UserAgent.ToString()));
        }

        var grpc = GrpcCall.Of(context, status);
        grpc?.AddTo(attributes);

        if (tuple is { } client)
        {
            var verdict = ClientVerdict(record, request, client, wire);
            attributes.Add(SemanticConventions.ClientAddress, snapshot.Anonymizer.Apply(verdict.ClientAddress));
            if (verdict.ClientPort is { } clientPort)
            {
                attributes.Add(SemanticConventions.ClientPort, (long)clientPort);
            }

            if (verdict.Claimed)
            {
                attributes.Add(SemanticConventions.GatewayForwardedTrusted, verdict.Trusted);
                attributes.AddIfPresent(SemanticConventions.GatewayForwardedMismatch, verdict.Mismatch);
            }
        }

        AddServer(attributes, request, tuple);
        AddClientHandshakes(attributes, context, wire, tuple is not null);
        WireRequestShare share = default;
        StreamEnds? ends = null;
        if (onConnection.IsTracked)
        {
            // The 5-tuple and the handshake facts (the same for every request on the connection), and this
            // request's share of the counters: up to where the request and its response end on the wire
            // (the ledger leaves it out where streams interleave: HTTP/2).
            ends = context.Features.Get<TransportByteCounts>() is { } counts ? StreamEnds.Of(counts) : null;
            attributes.AddGroup(onConnection.Account(wire, snapshot.Anonymizer, ends, out share));
        }

        // Requests that never reached routing (an exception before it) are captured here, under the default policy.
        attributes.AddRange(record.RequestHeaders ?? RequestHeaderCaptureMiddleware.Capture(record, request.Headers));
        capture.CaptureResponse(context.Response.Headers, attributes);

        if (proxy is not null)
        {
            attributes.Add(SemanticConventions.GatewayRouteId, proxy.Route.Config.RouteId);
            attributes.AddIfPresent(SemanticConventions.GatewayClusterId, proxy.Cluster?.Config.ClusterId);
            attributes.AddIfPresent(SemanticConventions.GatewayDestinationId, proxy.ProxiedDestination?.DestinationId);
        }

        var forwarderError = ForwarderErrors.Of(context);
        // A gRPC call fails inside an HTTP 200: its status decides, as the conventions' server span says (GrpcCall.IsServerError).
        var grpcFailed = grpc is { IsServerError: true };
        var errorType = forwarderError is not null ? ForwarderErrors.ErrorType(forwarderError)
            : failure is not null ? failure.GetType().FullName
            : grpcFailed ? grpc!.Value.ErrorType
            : status >= 500 ? status.ToString(CultureInfo.InvariantCulture)
            : null;
        attributes.AddIfPresent(SemanticConventions.ErrorType, errorType);
        if (record.UpstreamOutcome is { } upstream)
        {
            upstream.AddTo(attributes);
        }

        if (tuple is null)
        {
            attributes.AddWire(wire);
        }
        else if (!share.Pending)
        {
            // The connection's totals as they stood where the request's share was taken.
            attributes.AddWireObserved(wire);
        }

        if (wire is not null && !share.Pending)
        {
            attributes.AddWireRequest(share);
        }
        WireEventRouter.Reconcile(span, wire);

        // What the wire saw during this request makes it worth keeping whatever the sampling ratio.
        if (WireLooksWrong(share, wire) || span.HasEventWithPrefix(WireEventRouter.EventPrefix))
        {
            anomaly.Anomaly = true;
        }

        var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var routeId = proxy?.Route.Config.RouteId;
        // Rules reading this response's wire figures wait with the record while its last bytes are leaving.
        var rulesWait = share.Pending && Requests.RequestRules.WaitForSettledWire(record);
        if (record.Rules is not null && !rulesWait)
        {
            Requests.RequestRules.Finish(record, attributes, wire, routeId, milliseconds, context);
        }

        var sampling = new SamplingRequest
        {
            TraceId = span.TraceId,
            RouteId = routeId,
            RouteRatio = record.Policy.SamplingRatio,
            Status = status,
            Failed = grpcFailed,
            WireAnomaly = anomaly.Anomaly,
            RuleMatched = record.Rules?.Matched == true,
        };
        // A record whose response is still leaving is decided once its figures have settled (WaitingRecord):
        // its retransmissions, and the matches of rules that read them, are known only then.
        if (!share.Pending && snapshot.Sampling.Decide(sampling) == SamplingDecision.Dropped)
        {
            return false;
        }

        span.Name = template is null ? request.Method : SpanName(request.Method, template);
        if (status >= 500 || failure is not null || grpcFailed)
        {
            span.SetError(forwarderError is not null ? ForwarderErrors.Describe(forwarderError) : failure?.Message);
        }

        attributes.Add(SemanticConventions.GatewayRequestDurationMs, Math.Round(milliseconds, 3));
        span.EndUnixNano = UnixTime.NowNanos();

        var log = record.Telemetry.Log;
        record.Telemetry.HasLog = true;
        log.EventName = SemanticConventions.AccessEvent;
        log.TimeUnixNano = span.EndUnixNano;
        log.TraceId = span.TraceId;
        log.SpanId = span.SpanId;
        log.TraceFlags = span.TraceFlags;
        log.ShareAttributes(attributes);
        log.SetAccessSummary(request.Method, path, query, status, milliseconds);
        if (share.Pending)
        {
            // The response's last bytes have not left yet: the record waits for them, off the request's path.
            // The request's services are gone by the time the rules run: their alerts' sink is taken now.
            var waitingRules = rulesWait
                ? new WaitingRecord.PendingRules(record, routeId, milliseconds, context.RequestServices.GetRequiredService<Rules.AlertDispatcher>())
                : null;
            onConnection.Wait(new WaitingRecord(ends!.Value, record.Telemetry, attributes, wireView, tuple!.Value, wire, records, logger,
                snapshot.Sampling, sampling, waitingRules));
        }
        else
        {
            records.Submit(record.Telemetry);
        }

        return true;
    }

    /// <summary>
    /// The client as the record names it, with the wire facts at the request's end: the verdict the rules resolved
    /// where they did and these facts would not change it (resolved once per request), else resolved now.
    /// </summary>
    internal static ForwardedVerdict ClientVerdict(RequestRecord record, HttpRequest request, ConnectionTuple client, WireFacts? wire) =>
        (record.Rules is not null ? record.RuleInput!.SharedVerdict(wire) : null)
        ?? record.Snapshot.Identity.Resolve(client.PeerAddress, client.PeerPort, request.Headers["Forwarded"], request.Headers["X-Forwarded-For"], wire);

    /// <summary>
    /// The wire facts that make a request worth keeping whatever the sampling ratio: its own segments sent
    /// again, or a reset of its connection. Asked when the request ends and, for a response that was still
    /// leaving, again with its settled share (<see cref="WaitingRecord"/>).
    /// </summary>
    internal static bool WireLooksWrong(WireRequestShare share, WireFacts? wire) =>
        share.Delta?.RetransmitsOut > 0 || wire?.ResetBy is not null;

    /// <summary>Logs a record that could not be built or submitted (the request was served).</summary>
    internal static void LogTelemetryFailed(ILogger logger, Exception exception) => Log.TelemetryFailed(logger, exception);

    private static bool IsHttp1(string protocol) => protocol.StartsWith("HTTP/1", StringComparison.Ordinal);

    // Kestrel names the protocol as a string; the ledger decides by version.
    private static Version HttpVersionOf(string protocol) =>
        HttpProtocol.IsHttp2(protocol) ? System.Net.HttpVersion.Version20
        : HttpProtocol.IsHttp3(protocol) ? System.Net.HttpVersion.Version30
        : System.Net.HttpVersion.Version11;

    private static string SpanName(string method, string template)
    {
        if (SpanNames.TryGetValue((method, template), out var name))
        {
            return name;
        }

        name = $"{method} {template}";
        // Bounded: methods are few and templates come from the configuration; a client inventing methods cannot grow it.
        if (SpanNames.Count < 1024)
        {
            SpanNames.TryAdd((method, template), name);
        }

        return name;
    }

    // The TLS handshake's facts, the SYN's OS hint, and where what the client says contradicts both.
    private static void AddClientHandshakes(AttributeList attributes, HttpContext context, WireFacts? wire, bool downstream)
    {
        var tls = TlsConnectionFacts.Of(context.Features);
        attributes.AddTls(tls);
        attributes.AddClientClaims(ClientClaims.Of(context, tls, wire, downstream));
    }

    private static void AddServer(AttributeList attributes, HttpRequest request, ConnectionTuple? tuple)
    {
        if (request.Host.HasValue)
        {
            attributes.Add(SemanticConventions.ServerAddress, request.Host.Host);
            var port = request.Host.Port ?? (request.IsHttps ? 443 : 80);
            attributes.Add(SemanticConventions.ServerPort, (long)port);
        }
        else if (tuple is { } local)
        {
            attributes.Add(SemanticConventions.ServerAddress, local.LocalAddress.ToString());
            attributes.Add(SemanticConventions.ServerPort, (long)local.LocalPort);
        }
    }

    /// <summary>The downstream connection's tuple, normalized; null when the transport has no IP endpoints.</summary>
    internal static ConnectionTuple? DownstreamTuple(ConnectionInfo connection) =>
        connection.LocalIpAddress is { } local && connection.RemoteIpAddress is { } remote
            ? new ConnectionTuple(local, connection.LocalPort, remote, connection.RemotePort)
            : null;

    /// <summary><c>HTTP/1.1</c> → <c>1.1</c>, <c>HTTP/2</c> → <c>2</c>.</summary>
    internal static string? ProtocolVersion(string protocol) => protocol switch
    {
        // Kestrel's own strings, without a new substring per request.
        "HTTP/1.1" => "1.1",
        "HTTP/2" => "2",
        "HTTP/1.0" => "1.0",
        "HTTP/3" => "3",
        _ => protocol.StartsWith("HTTP/", StringComparison.OrdinalIgnoreCase) ? protocol[5..] : null,
    };
}
