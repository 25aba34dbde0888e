using Gateway.Correlation;
using Gateway.Sampling;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Requests;

/// <summary>
/// The upgrade feature of a request that may switch protocols (an HTTP/1.1 WebSocket handshake, or an
/// HTTP/2 extended CONNECT, RFC 8441, whose tunnel opens with a 200 sent through AcceptAsync):
/// once the proxy has sent the 101 through it, the request's record is built and handed over, with
/// the duration up to the upgrade; the tunnel that follows may last hours and belongs to the
/// connection, whose <c>wire.connection</c> record carries its totals when it closes.
/// </summary>
/// <remarks>
/// YARP upgrades the client's connection through <see cref="IHttpUpgradeFeature.UpgradeAsync"/> once
/// the destination answered 101 (by then the upstream attempt has recorded its client span, see
/// UpstreamAttempt.OnResponse). Whoever comes first, the upgrade or the end of the request (an upgrade
/// that failed or never happened), records it, once.
/// </remarks>
internal sealed class RecordAtUpgrade(
    IHttpUpgradeFeature inner,
    RequestMiddleware middleware,
    HttpContext context,
    RequestRecord record,
    IWireAnomalyFeature anomaly,
    ConnectionTuple? tuple,
    RequestOnConnection tracking,
    long started) : IHttpUpgradeFeature, IHttpExtendedConnectFeature
{
    private IHttpExtendedConnectFeature? _connect;

    private int _taken;

    /// <summary>Puts the feature in front of the server's on an upgradable request; null (nothing done) otherwise.</summary>
    public static RecordAtUpgrade? Install(RequestMiddleware middleware, HttpContext context, RequestRecord record, IWireAnomalyFeature anomaly,
        ConnectionTuple? tuple, RequestOnConnection tracking, long started)
    {
        // HTTP/2 (RFC 8441): an extended CONNECT opens the tunnel with a 200 sent through AcceptAsync.
        if (context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            var tunnel = new RecordAtUpgrade(context.Features.Get<IHttpUpgradeFeature>() ?? NotUpgradable.Instance,
                middleware, context, record, anomaly, tuple, tracking, started) { _connect = connect };
            context.Features.Set<IHttpExtendedConnectFeature>(tunnel);
            return tunnel;
        }

        if (context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true } upgradable)
        {
            return null;
        }

        var upgrade = new RecordAtUpgrade(upgradable, middleware, context, record, anomaly, tuple, tracking, started);
        context.Features.Set<IHttpUpgradeFeature>(upgrade);
        return upgrade;
    }

    /// <inheritdoc />
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    /// <inheritdoc />
    public async Task<Stream> UpgradeAsync()
    {
        // The server writes and flushes the 101 here: afterwards the transport has counted it.
        var stream = await inner.UpgradeAsync();
        if (TryTake())
        {
            middleware.Finish(context, record, anomaly, tuple, tracking, started, failure: null);
        }

        return stream;
    }

    /// <inheritdoc />
    public bool IsExtendedConnect => _connect?.IsExtendedConnect ?? false;

    /// <inheritdoc />
    public string? Protocol => _connect?.Protocol;

    /// <inheritdoc />
    public async ValueTask<Stream> AcceptAsync()
    {
        // The server writes and flushes the 200 that opens the tunnel here.
        var stream = await (_connect ?? throw new InvalidOperationException("Not an extended CONNECT request.")).AcceptAsync();
        if (TryTake())
        {
            middleware.Finish(context, record, anomaly, tuple, tracking, started, failure: null);
        }

        return stream;
    }

    /// <summary>True for the first caller only: it records the request.</summary>
    public bool TryTake() => Interlocked.Exchange(ref _taken, 1) == 0;
}

/// <summary>The upgrade feature of a request that cannot be upgraded (an HTTP/2 stream).</summary>
file sealed class NotUpgradable : IHttpUpgradeFeature
{
    public static readonly NotUpgradable Instance = new();

    public bool IsUpgradableRequest => false;

    public Task<Stream> UpgradeAsync() => throw new InvalidOperationException("Not an upgradable request.");
}
