using System.Net;
using System.Net.Sockets;

namespace Gateway.Correlation;

/// <summary>
/// A TCP connection as the gateway sees it: its own end first, then the peer's.
/// Addresses are normalized the way the wire carries them: an IPv4-mapped IPv6
/// address (how a dual-stack Kestrel socket reports an IPv4 client) becomes the
/// IPv4 address.
/// </summary>
public readonly record struct ConnectionTuple
{
    /// <summary>Creates a tuple, normalizing both addresses.</summary>
    public ConnectionTuple(IPAddress localAddress, int localPort, IPAddress peerAddress, int peerPort)
    {
        LocalAddress = Normalize(localAddress);
        LocalPort = localPort;
        PeerAddress = Normalize(peerAddress);
        PeerPort = peerPort;
    }

    /// <summary>The gateway's address on this connection.</summary>
    public IPAddress LocalAddress { get; }

    /// <summary>The gateway's port on this connection.</summary>
    public int LocalPort { get; }

    /// <summary>The peer's (client's or backend's) address.</summary>
    public IPAddress PeerAddress { get; }

    /// <summary>The peer's port.</summary>
    public int PeerPort { get; }

    /// <summary><c>ipv4</c> or <c>ipv6</c>, as <c>network.type</c> spells it.</summary>
    public string NetworkType => LocalAddress.AddressFamily == AddressFamily.InterNetwork ? "ipv4" : "ipv6";

    /// <summary>Builds the tuple of a connected socket, or null when it has no IP endpoints.</summary>
    public static ConnectionTuple? FromSocket(Socket socket) =>
        socket.LocalEndPoint is IPEndPoint local && socket.RemoteEndPoint is IPEndPoint remote
            ? new ConnectionTuple(local.Address, local.Port, remote.Address, remote.Port)
            : null;

    /// <summary>The address the wire carries for <paramref name="address"/>.</summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <inheritdoc />
    public override string ToString() => $"{Format(LocalAddress, LocalPort)} <- {Format(PeerAddress, PeerPort)}";

    private static string Format(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
}
