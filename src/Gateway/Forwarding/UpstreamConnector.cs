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
internal sealed partial class UpstreamConnector(IWireView wireView, ConnectionLedger ledger, FailedConnectLog failures, ILogger<UpstreamConnector> logger)
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
        IPEndPoint? local = null;
        try
        {
            wireView.OnUpstreamSocketCreated(socket);
            var connect = socket.ConnectAsync(remote, cancellationToken);
            // The SYN has left: the kernel chose the local port. Read now, while .NET still
            // holds the descriptor it sent the SYN from, so a failure can be named by its tuple.
            local = SocketLocalAddress.Of(socket);
            await connect.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ConnectionTuple? attempt = local is null ? null : new ConnectionTuple(local.Address, local.Port, remote.Address, remote.Port);
            if (attempt is { } failedTuple)
            {
                var failed = new FailedConnect(failedTuple, Classify(e, cancellationToken), Environment.TickCount64);
                failures.Add(failed);
                UpstreamAttempt.Current?.ConnectFailed(failed);
            }

            // With the tuple, the wire view keeps what the kernel saw for a short grace and frees the flow.
            wireView.OnUpstreamSocketClosed(socket, attempt);
            socket.Dispose();
            throw;
        }

        var tuple = ConnectionTuple.FromSocket(socket);
        Log.Connected(logger, tuple?.ToString() ?? remote.ToString());
        return new UpstreamConnectionStream(socket, tuple, wireView, ledger);
    }

    /// <summary>The <c>gateway.upstream.error</c> value of a failed connect.</summary>
    internal static string Classify(Exception error, CancellationToken cancellationToken) => error switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => UpstreamErrors.ConnectionRefused,
        SocketException { SocketErrorCode: SocketError.TimedOut } => UpstreamErrors.ConnectTimeout,
        SocketException socket => UpstreamErrors.Snake(socket.SocketErrorCode.ToString()),
        OperationCanceledException when cancellationToken.IsCancellationRequested => UpstreamErrors.ConnectTimeout,
        _ => UpstreamErrors.ConnectFailed,
    };
}
