using System.Diagnostics;
using Gateway.Correlation;
using Gateway.Telemetry;
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

        var activity = GatewayActivitySource.Instance.StartActivity(context.Request.Method, ActivityKind.Client);
        var holder = new UpstreamConnectionHolder
        {
            Track = activity is null ? null : tuple => wireView.Track(tuple, activity),
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
            if (activity is null)
            {
                // No span, but the access record still says what went wrong upstream.
                if (ForwarderErrors.Of(context) is not null)
                {
                    Describe(context, proxy, holder, started, out _, out _);
                }
            }
            else
            {
                try
                {
                    Complete(context, proxy, holder, activity, started);
                }
                catch (Exception e)
                {
                    Log.TelemetryFailed(logger, e);
                }

                End(context, activity);
            }
        }
    }

    /// <summary>
    /// Ends the span now; it is exported only once the request's sampling has decided, so that a
    /// dropped request leaves no client span behind either.
    /// </summary>
    private static void End(HttpContext context, Activity activity)
    {
        if (context.Features.Get<RequestRecord>() is { } record)
        {
            activity.SetEndTime(DateTime.UtcNow);
            record.Defer(activity);
        }
        else
        {
            activity.Stop();
        }
    }

    /// <summary>
    /// Finds the connection of the request (or, when connecting failed, the failed attempt) and,
    /// when forwarding failed, records an <see cref="UpstreamOutcome"/> for the access record.
    /// </summary>
    private UpstreamOutcome? Describe(HttpContext context, IReverseProxyFeature proxy, UpstreamConnectionHolder holder, long started,
        out ConnectionTuple? tuple, out WireFacts? facts)
    {
        tuple = holder.Tuple;
        var error = ForwarderErrors.Of(context);
        FailedConnect? attempt = null;
        if (tuple is null && error is not null)
        {
            attempt = holder.FailedConnect;
            if (attempt is null && proxy.ProxiedDestination?.Model?.Config.Address is { } address
                && Uri.TryCreate(address, UriKind.Absolute, out var destination))
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
        context.Features.Set(outcome);
        return outcome;
    }

    private void Complete(HttpContext context, IReverseProxyFeature proxy, UpstreamConnectionHolder holder, Activity activity, long started)
    {
        var outcome = Describe(context, proxy, holder, started, out var tuple, out var facts);
        var attributes = new AttributeList(AttributeList.RecordCapacity) { { SemanticConventions.HttpRequestMethod, context.Request.Method } };

        if (proxy.ProxiedDestination?.Model?.Config.Address is { } address
            && Uri.TryCreate(address, UriKind.Absolute, out var destination))
        {
            attributes.Add(SemanticConventions.ServerAddress, destination.Host);
            attributes.Add(SemanticConventions.ServerPort, (long)destination.Port);
        }

        if (tuple is { } connection)
        {
            attributes.AddConnection(connection);
        }

        if (holder.StatusCode is { } status)
        {
            attributes.Add(SemanticConventions.HttpResponseStatusCode, (long)status);
        }

        attributes.Add(SemanticConventions.GatewayRouteId, proxy.Route.Config.RouteId);
        attributes.AddIfPresent(SemanticConventions.GatewayClusterId, proxy.Cluster?.Config.ClusterId);
        attributes.AddIfPresent(SemanticConventions.GatewayDestinationId, proxy.ProxiedDestination?.DestinationId);

        var error = ForwarderErrors.Of(context);
        if (error is not null)
        {
            attributes.Add(SemanticConventions.ErrorType, ForwarderErrors.ErrorType(error));
            attributes.AddIfPresent(SemanticConventions.GatewayUpstreamError, outcome?.Error);
            activity.SetStatus(ActivityStatusCode.Error, ForwarderErrors.Describe(error));
        }
        else if (holder.StatusCode >= 500)
        {
            attributes.Add(SemanticConventions.ErrorType, holder.StatusCode.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetStatus(ActivityStatusCode.Error);
        }

        attributes.AddWire(facts);
        if (holder.Tuple is { } counted)
        {
            attributes.AddWireRequest(ledger.Next(counted, facts));
        }

        attributes.CopyTo(activity);
        WireEventRouter.Reconcile(activity, facts);
    }
}
