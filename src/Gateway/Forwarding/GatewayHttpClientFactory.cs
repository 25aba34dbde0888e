using Gateway.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Forwarding;

/// <summary>
/// YARP's client factory with four changes: upstream sockets come from
/// <see cref="UpstreamConnector"/> (so each one is known to the wire view), a request on an
/// HTTP/2 connection is joined to it by <see cref="Http2RequestJoin"/>, the
/// <c>traceparent</c> sent upstream is left to <see cref="TraceContextTransform"/>, and the handlers'
/// pooled connections are closed when the gateway stops.
/// </summary>
internal sealed class GatewayHttpClientFactory(UpstreamConnector connector, Http2RequestJoin http2, IOptionsMonitor<UpstreamSettings> upstream, ILogger<ForwarderHttpClientFactory> logger)
    : ForwarderHttpClientFactory(logger), IDisposable
{
    private readonly Lock _gate = new();

    // Weak: YARP drops a cluster's client when its configuration changes and lets the
    // collector reclaim it once requests in flight are done; this list must not keep it.
    private readonly List<WeakReference<SocketsHttpHandler>> _handlers = [];

    /// <summary>Disposes every handler still alive, closing its pooled upstream connections.</summary>
    public void Dispose()
    {
        List<WeakReference<SocketsHttpHandler>> handlers;
        lock (_gate)
        {
            handlers = [.. _handlers];
            _handlers.Clear();
        }

        foreach (var reference in handlers)
        {
            if (reference.TryGetTarget(out var handler))
            {
                handler.Dispose();
            }
        }
    }

    /// <inheritdoc />
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectCallback = connector.ConnectAsync;
        // Tells each connection stream its HTTP version; HTTP/2 requests are joined through it.
        handler.PlaintextStreamFilter = http2.Filter;
        handler.ConnectTimeout = TimeSpan.FromSeconds(upstream.CurrentValue.ConnectTimeoutSeconds);
        // The gateway writes traceparent itself (TraceContextTransform); HttpClient must neither add
        // its own nor remove the one written.
        handler.ActivityHeadersPropagator = null;

        lock (_gate)
        {
            _handlers.RemoveAll(r => !r.TryGetTarget(out _));
            _handlers.Add(new WeakReference<SocketsHttpHandler>(handler));
        }
    }
}
