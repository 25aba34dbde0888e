using Microsoft.AspNetCore.Connections;

namespace Gateway.Tls;

/// <summary>
/// Kestrel connection middleware, placed before the HTTPS middleware: shows the connection's
/// first bytes each way to a <see cref="TlsHandshakeObserver"/> and puts its
/// <see cref="TlsHelloFeature"/> on the connection's features, where every request reads it.
/// </summary>
/// <remarks>
/// Why not Kestrel's <c>HttpsConnectionAdapterOptions.TlsClientHelloBytesCallback</c> (renamed
/// <c>ListenOptions.UseTlsClientHelloListener</c> later): it hands over the first TLS record only,
/// and a ClientHello may span several (RFC 8446 5.1; large post-quantum key shares make that
/// real); it cannot see the ServerHello, which is the only place that says whether a session was
/// resumed; and what it does with a hello it cannot parse is not ours to count. Why not the
/// kernel: the probe's programs see every segment, but reassembling a TCP stream in BPF is far
/// from their job (bounded loops, no allocation), and the bytes are here anyway. This middleware
/// reads nothing itself: it watches the bytes the TLS layer reads and writes, so it adds no
/// wait, no timeout of its own, and cannot refuse or stall a connection; a cleartext connection
/// costs it one look at the first byte.
/// </remarks>
internal sealed class TlsHandshakeCapture(TlsMetrics metrics)
{
    /// <summary>Wraps Kestrel's connection pipeline.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        using var observer = new TlsHandshakeObserver(metrics);
        var transport = connection.Transport;
        connection.Transport = new ObservedTransport(transport, observer);
        connection.Features.Set(observer.Feature);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    };
}
