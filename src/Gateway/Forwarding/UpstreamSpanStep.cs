using Gateway.Correlation;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Model;

namespace Gateway.Forwarding;

/// <summary>
/// The last step of the proxy pipeline, right before YARP forwards: one client span per
/// upstream attempt, and the join of the request to the connection that carried it.
/// </summary>
/// <remarks>
/// <code>
///   ServerSpanMiddleware ─► routing ─► [affinity, load balancing, health] ─► UpstreamSpanStep ─► YARP forwarder
///                                                                              │ 1. holder in AsyncLocal
///                                                                              │ 2. client span starts
///                                     UpstreamConnectionStream.Read/Write ◄────┤ 3. forward: stream stamps holder
///                                                                              │ 4. seal holder, read tuple
///                                                                              └ 5. wire.* of that tuple, span ends
/// </code>
/// </remarks>
internal sealed partial class UpstreamSpanStep(IWireView wireView, WireRequestLedger ledger, FailedConnectLog failures, ILogger<UpstreamSpanStep> logger)
{
    /// <summary>Forwards the request inside its client span.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.AvailableDestinations.Count == 0)
        {
            // YARP answers 503 without an attempt: there is no upstream leg to describe.
            await next(context);
            return;
        }

        var record = context.Features.Get<RequestRecord>();
        var span = record?.Telemetry.AddSpan();
        if (span is not null)
        {
            var server = record!.Server;
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
        }

        var holder = new UpstreamConnectionHolder
        {
            WireView = wireView,
            Span = span,
        };
        UpstreamConnectionJoin.Begin(holder);
        long started = Environment.TickCount64;
        try
        {
            await next(context);
        }
        finally
        {
            // YARP has finished copying the response body when next() returns.
            holder.Seal();
            // Without a record (no server span middleware in front) there is no one to tell.
            if (span is not null)
            {
                try
                {
                    Complete(context, record!, proxy, holder, span, started);
                }
                catch (Exception e)
                {
                    Log.TelemetryFailed(logger, e);
                }

                // Exported with the request's record, once its sampling has decided.
                span.EndUnixNano = UnixTime.NowNanos();
            }
        }
    }

    /// <summary>
    /// Finds the connection of the request (or, when connecting failed, the failed attempt) and,
    /// when forwarding failed, records an <see cref="UpstreamOutcome"/> for the access record.
    /// </summary>
    private UpstreamOutcome? Describe(HttpContext context, RequestRecord record, IReverseProxyFeature proxy, UpstreamConnectionHolder holder, long started,
        out ConnectionTuple? tuple, out WireFacts? facts)
    {
        tuple = holder.Tuple;
        var error = ForwarderErrors.Of(context);
        FailedConnect? attempt = null;
        if (tuple is null && error is not null)
        {
            attempt = holder.FailedConnect;
            if (attempt is null && proxy.ProxiedDestination?.Model is { } model && Destination(model) is { } destination)
            {
                attempt = failures.Latest(destination.Host, destination.Port, started);
            }

            tuple = attempt?.Tuple;
        }

        facts = tuple is { } t ? wireView.Lookup(t) : null;
        if (error is null)
        {
            return null;
        }

        var outcome = new UpstreamOutcome(UpstreamErrors.Of(error, attempt), tuple, facts);
        record.UpstreamOutcome = outcome;
        return outcome;
    }

    private void Complete(HttpContext context, RequestRecord record, IReverseProxyFeature proxy, UpstreamConnectionHolder holder, SpanData span, long started)
    {
        var outcome = Describe(context, record, proxy, holder, started, out var tuple, out var facts);
        var attributes = span.Attributes;
        attributes.Add(AttributeNames.HttpRequestMethod, context.Request.Method);

        if (proxy.ProxiedDestination?.Model is { } destinationModel && Destination(destinationModel) is { } destination)
        {
            attributes.Add(AttributeNames.ServerAddress, destination.Host);
            attributes.Add(AttributeNames.ServerPort, (long)destination.Port);
        }

        WireRequestDelta? delta = null;
        if (holder.Tuple is { } connection)
        {
            // The 5-tuple and the handshake facts, the same for every request on the pooled connection
            // (kept until the connection closes; a failed attempt's tuple is written out instead), and
            // this request's share of the counters.
            attributes.AddGroup(ledger.Next(connection, facts, peerPrivacy: null, out delta));
            if (holder.ConnectionClosed)
            {
                // Closed before this request ended (the pool drops a connection that broke): the ledger
                // forgot it then, and Next has just added it back. Nothing will close it again.
                ledger.Forget(connection);
            }
        }
        else if (tuple is { } attempt)
        {
            attributes.AddConnection(attempt);
        }

        if (holder.StatusCode is { } status)
        {
            attributes.Add(AttributeNames.HttpResponseStatusCode, (long)status);
        }

        attributes.Add(AttributeNames.GatewayRouteId, proxy.Route.Config.RouteId);
        attributes.AddIfPresent(AttributeNames.GatewayClusterId, proxy.Cluster?.Config.ClusterId);
        attributes.AddIfPresent(AttributeNames.GatewayDestinationId, proxy.ProxiedDestination?.DestinationId);

        var error = ForwarderErrors.Of(context);
        if (error is not null)
        {
            attributes.Add(AttributeNames.ErrorType, ForwarderErrors.ErrorType(error));
            attributes.AddIfPresent(AttributeNames.GatewayUpstreamError, outcome?.Error);
            span.SetError(ForwarderErrors.Describe(error));
        }
        else if (holder.StatusCode >= 500)
        {
            attributes.Add(AttributeNames.ErrorType, holder.StatusCode.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            span.SetError();
        }

        if (holder.Tuple is null)
        {
            attributes.AddWire(facts);
        }
        else
        {
            attributes.AddWireObserved(facts);
        }

        attributes.AddWireRequest(delta);

        WireEventRouter.Reconcile(span, facts);
    }

    // The destination's address, parsed once per destination model (YARP replaces the model when the configuration changes).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Yarp.ReverseProxy.Model.DestinationModel, Uri?> Destinations = [];

    private static Uri? Destination(Yarp.ReverseProxy.Model.DestinationModel model) =>
        Destinations.GetValue(model, static m => Uri.TryCreate(m.Config.Address, UriKind.Absolute, out var uri) ? uri : null);
}
