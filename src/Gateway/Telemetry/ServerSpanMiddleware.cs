using System.Diagnostics;
using System.Globalization;
using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.Forwarding;
using Gateway.HeaderCapture;
using Gateway.Sampling;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using OpenTelemetry.Context.Propagation;
using Yarp.ReverseProxy.Model;

namespace Gateway.Telemetry;

/// <summary>
/// The first middleware: one server span per request and, at its end, the access record
/// carrying the same attributes, including what the wire view saw on the downstream
/// connection.
/// </summary>
/// <remarks>
/// <code>
///   1. take the policy snapshot, the header order, put RequestRecord + IWireAnomalyFeature on the context
///   2. routing ─► RequestHeaderCaptureMiddleware captures request headers under the route's policy
///   3. proxy pipeline; UpstreamSpanStep hands its ended client spans to the RequestRecord
///   4. response ends: client identity, wire facts, response headers, query redaction
///   5. sampling decides; record kept ─► access record + span exported; dropped ─► neither, nor the client spans
/// </code>
/// </remarks>
internal sealed partial class ServerSpanMiddleware(
    RequestDelegate next,
    IWireView wireView,
    WireRequestLedger ledger,
    PolicySnapshotSource policies,
    RecordLogger records,
    WireMetrics wireMetrics,
    ILogger<ServerSpanMiddleware> logger)
{
    /// <summary>Runs the request inside its server span and writes the access record.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var parent = Propagators.DefaultTextMapPropagator.Extract(default, context.Request.Headers, ReadHeader);

        // ASP.NET Core's hosting layer starts an Activity of its own that nothing exports;
        // our span must hang off the caller's traceparent (or be a root), not off that one.
        // The change is local to this async method's flow.
        Activity.Current = null;
        using var activity = GatewayActivitySource.Instance.StartActivity(
            context.Request.Method, ActivityKind.Server, parent.ActivityContext);

        var record = new RequestRecord(policies.Current) { HeaderOrder = HeaderOrderRecorder.Take(context.Request.Protocol) };
        // One set by an earlier middleware (the correlation layer, a test) is kept, so that its flag counts.
        var anomaly = context.Features.Get<IWireAnomalyFeature>() ?? new WireAnomalyFeature();
        context.Features.Set(record);
        context.Features.Set(anomaly);

        // Kernel events on this connection become events of this span while it runs.
        using var tracking = activity is not null && DownstreamTuple(context.Connection) is { } inFlight
            ? wireView.Track(inFlight, activity)
            : null;
        Exception? failure = null;
        try
        {
            await next(context);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            HeaderOrderRecorder.Clear();
            var recorded = true;
            try
            {
                recorded = Complete(context, activity, record, started, failure);
            }
            catch (Exception e)
            {
                Log.TelemetryFailed(logger, e);
            }
            finally
            {
                record.ReleaseDeferred(recorded);
            }
        }
    }

    /// <summary>Builds the record, decides sampling, writes it when kept; returns whether it was kept.</summary>
    private bool Complete(HttpContext context, Activity? activity, RequestRecord record, long started, Exception? failure)
    {
        var request = context.Request;
        var proxy = context.Features.Get<IReverseProxyFeature>();
        var template = proxy?.Route.Config.Match.Path ?? (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var status = failure is not null && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
        var tuple = DownstreamTuple(context.Connection);
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
            wireMetrics.Incomplete(wire is null ? WireMetrics.NoFlow : wire.Ttl is null ? WireMetrics.NoHandshake : null);
        }

        // Sized once: growing a list past 40 entries step by step left ~1 KB of garbage per request.
        var attributes = new AttributeList(AttributeList.RecordCapacity + (record.RequestHeaders?.Count ?? 0) + context.Response.Headers.Count)
        {
            { SemanticConventions.HttpRequestMethod, request.Method },
            { SemanticConventions.UrlScheme, request.Scheme },
            { SemanticConventions.UrlPath, path },
        };
        attributes.AddIfPresent(SemanticConventions.UrlQuery, query);
        attributes.AddIfPresent(SemanticConventions.HttpRoute, template);
        attributes.Add(SemanticConventions.HttpResponseStatusCode, (long)status);
        attributes.AddIfPresent(SemanticConventions.NetworkProtocolVersion, ProtocolVersion(request.Protocol));
        if (request.Headers.UserAgent.Count > 0)
        {
            attributes.AddIfPresent(SemanticConventions.UserAgentOriginal,
                capture.IsRedacted(HeaderNames.UserAgent) ? SemanticConventions.RedactedValue : capture.Limit(request.Headers.UserAgent.ToString()));
        }

        if (tuple is { } client)
        {
            var verdict = snapshot.Identity.Resolve(client.PeerAddress, client.PeerPort, request.Headers["Forwarded"], request.Headers["X-Forwarded-For"], wire);
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
        if (tuple is { } connection)
        {
            attributes.AddConnection(connection, snapshot.Anonymizer);
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
        var errorType = forwarderError is not null ? ForwarderErrors.ErrorType(forwarderError)
            : failure is not null ? failure.GetType().FullName
            : status >= 500 ? status.ToString(CultureInfo.InvariantCulture)
            : null;
        attributes.AddIfPresent(SemanticConventions.ErrorType, errorType);
        if (context.Features.Get<Forwarding.UpstreamOutcome>() is { } upstream)
        {
            attributes.AddUpstreamOutcome(upstream);
        }

        attributes.AddWire(wire);
        var delta = tuple is { } counted ? ledger.Next(counted, wire) : null;
        attributes.AddWireRequest(delta);
        if (activity is not null)
        {
            WireEventRouter.Reconcile(activity, wire);
        }

        // What the wire saw during this request makes it worth keeping whatever the sampling ratio.
        if (delta?.RetransmitsOut > 0 || wire?.ResetBy is not null || HasWireEvents(activity))
        {
            AnomalyFeature(context).Anomaly = true;
        }

        var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var decision = snapshot.Sampling.Decide(new SamplingRequest
        {
            TraceId = activity?.TraceId ?? default,
            RouteId = proxy?.Route.Config.RouteId,
            RouteRatio = record.Policy.SamplingRatio,
            Method = request.Method,
            Path = path,
            Headers = request.Headers,
            Status = status,
            DurationMs = milliseconds,
            WireAnomaly = context.Features.Get<IWireAnomalyFeature>()?.Anomaly == true,
        });
        if (decision == SamplingDecision.Dropped)
        {
            if (activity is not null)
            {
                // Not exported: OpenTelemetry's export processors skip an activity that is not recorded.
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                activity.IsAllDataRequested = false;
            }

            return false;
        }

        if (activity is not null)
        {
            activity.DisplayName = template is null ? request.Method : $"{request.Method} {template}";
            attributes.CopyTo(activity);
            if (status >= 500 || failure is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, forwarderError is not null ? ForwarderErrors.Describe(forwarderError) : failure?.Message);
            }
        }

        attributes.Add(SemanticConventions.GatewayRequestDurationMs, Math.Round(milliseconds, 3));
        var body = string.Create(CultureInfo.InvariantCulture,
            $"{request.Method} {path}{(query is null ? "" : "?")}{query} {status} {milliseconds:0.0}ms");

        // Still inside the span's scope: the record gets its trace and span id.
        records.Access(attributes, body);
        return true;
    }

    private static bool HasWireEvents(Activity? activity)
    {
        if (activity is null)
        {
            return false;
        }

        foreach (var e in activity.Events)
        {
            if (e.Name.StartsWith("wire.", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static IWireAnomalyFeature AnomalyFeature(HttpContext context) =>
        context.Features.Get<IWireAnomalyFeature>() ?? throw new InvalidOperationException("set at the start of the request");

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
    internal static string? ProtocolVersion(string protocol) =>
        protocol.StartsWith("HTTP/", StringComparison.OrdinalIgnoreCase) ? protocol[5..] : null;

    private static IEnumerable<string> ReadHeader(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) ? values.Where(v => v is not null).Select(v => v!) : [];
}
