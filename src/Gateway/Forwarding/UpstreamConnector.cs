using System.Net;
using System.Net.Sockets;
using Gateway.Correlation;
using Microsoft.Extensions.Logging;

namespace Gateway.Forwarding;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of every upstream client: the
/// gateway makes the socket itself so the wire view sees it before its SYN leaves and so
/// the connection's 5-tuple is known.
/// </summary>
internal sealed partial class UpstreamConnector(IWireView wireView, WireRequestLedger ledger, ILogger<UpstreamConnector> logger)
{
    /// <summary>Connects to the endpoint SocketsHttpHandler asks for and returns the wrapped stream.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);

        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            try
            {
                return await ConnectOneAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException && !cancellationToken.IsCancellationRequested)
            {
                Log.ConnectAttemptFailed(logger, address, endpoint.Port, e.Message);
                last = e;
            }
        }

        throw last!;
    }

    private async ValueTask<Stream> ConnectOneAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        // One socket per address, of that address's family. A name that resolves to both
        // families is tried address by address; a dual-mode IPv6 socket would report an
        // IPv4 peer as ::ffff:a.b.c.d, which ConnectionTuple normalizes, but on Linux a
        // failed connect makes .NET swap the socket's descriptor, losing what the wire view
        // attached to the first one. Hence: no multi-address connect on one socket.
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            wireView.OnUpstreamSocketCreated(socket);
            await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            wireView.OnUpstreamSocketClosed(socket, null);
            socket.Dispose();
            throw;
        }

        var tuple = ConnectionTuple.FromSocket(socket);
        Log.Connected(logger, tuple?.ToString() ?? remote.ToString());
        return new UpstreamConnectionStream(socket, tuple, wireView, ledger);
    }
}
