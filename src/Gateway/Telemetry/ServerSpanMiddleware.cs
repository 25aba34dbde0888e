using System.Diagnostics;
using System.Globalization;
using Gateway.Correlation;
using Gateway.Forwarding;
using Gateway.HeaderCapture;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Context.Propagation;
using Yarp.ReverseProxy.Model;

namespace Gateway.Telemetry;

/// <summary>
/// The first middleware: one server span per request and, at its end, the access record
/// carrying the same attributes, including what the wire view saw on the downstream
/// connection.
/// </summary>
internal sealed partial class ServerSpanMiddleware(
    RequestDelegate next,
    IWireView wireView,
    HeaderCapturePolicy headerPolicy,
    RecordLogger records,
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

        // Taken before forwarding: this is what the client sent, whatever transforms do later.
        var requestHeaders = new AttributeList(context.Request.Headers.Count);
        Exception? failure = null;
        try
        {
            headerPolicy.CaptureRequest(context.Request.Headers, requestHeaders);
            await next(context);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            try
            {
                Complete(context, activity, requestHeaders, started, failure);
            }
            catch (Exception e)
            {
                Log.TelemetryFailed(logger, e);
            }
        }
    }

    private void Complete(HttpContext context, Activity? activity, AttributeList requestHeaders, long started, Exception? failure)
    {
        var request = context.Request;
        var proxy = context.Features.Get<IReverseProxyFeature>();
        var template = proxy?.Route.Config.Match.Path ?? (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var status = failure is not null && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
        var tuple = DownstreamTuple(context.Connection);

        // Sized once: growing a list past 40 entries step by step left ~1 KB of garbage per request.
        var attributes = new AttributeList(AttributeList.RecordCapacity + requestHeaders.Count + context.Response.Headers.Count)
        {
            { SemanticConventions.HttpRequestMethod, request.Method },
            { SemanticConventions.UrlScheme, request.Scheme },
            { SemanticConventions.UrlPath, request.PathBase.Add(request.Path).Value ?? "/" },
        };
        attributes.AddIfPresent(SemanticConventions.UrlQuery, request.QueryString.HasValue ? request.QueryString.Value![1..] : null);
        attributes.AddIfPresent(SemanticConventions.HttpRoute, template);
        attributes.Add(SemanticConventions.HttpResponseStatusCode, (long)status);
        attributes.AddIfPresent(SemanticConventions.NetworkProtocolVersion, ProtocolVersion(request.Protocol));
        attributes.AddIfPresent(SemanticConventions.UserAgentOriginal, request.Headers.UserAgent.ToString());
        if (tuple is { } client)
        {
            attributes.Add(SemanticConventions.ClientAddress, client.PeerAddress.ToString());
            attributes.Add(SemanticConventions.ClientPort, (long)client.PeerPort);
        }

        AddServer(attributes, request, tuple);
        if (tuple is { } connection)
        {
            attributes.AddConnection(connection);
        }

        attributes.AddRange(requestHeaders);
        headerPolicy.CaptureResponse(context.Response.Headers, attributes);

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

        // At the end of the request: the counters then include this request and its response.
        attributes.AddWire(tuple is { } t ? wireView.Lookup(t) : null);

        if (activity is not null)
        {
            activity.DisplayName = template is null ? request.Method : $"{request.Method} {template}";
            attributes.CopyTo(activity);
            if (status >= 500 || failure is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, forwarderError is not null ? ForwarderErrors.Describe(forwarderError) : failure?.Message);
            }
        }

        var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        attributes.Add(SemanticConventions.GatewayRequestDurationMs, Math.Round(milliseconds, 3));
        var body = string.Create(CultureInfo.InvariantCulture,
            $"{request.Method} {request.PathBase.Add(request.Path)}{request.QueryString} {status} {milliseconds:0.0}ms");

        // Still inside the span's scope: the record gets its trace and span id.
        records.Access(attributes, body);
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
    internal static string? ProtocolVersion(string protocol) =>
        protocol.StartsWith("HTTP/", StringComparison.OrdinalIgnoreCase) ? protocol[5..] : null;

    private static IEnumerable<string> ReadHeader(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) ? values.Where(v => v is not null).Select(v => v!) : [];
}
