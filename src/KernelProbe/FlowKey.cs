using System.Net;
using System.Net.Sockets;

namespace KernelProbe;

/// <summary>
/// A TCP flow from the gateway's side: its own end, then the peer's. An
/// IPv4-mapped IPv6 address is normalized to the IPv4 address the wire carries.
/// </summary>
public readonly record struct FlowKey
{
    /// <summary>Creates a key, normalizing both addresses.</summary>
    public FlowKey(IPAddress localAddress, int localPort, IPAddress peerAddress, int peerPort)
    {
        LocalAddress = Normalize(localAddress);
        PeerAddress = Normalize(peerAddress);
        if (LocalAddress.AddressFamily != PeerAddress.AddressFamily)
            throw new ArgumentException($"a flow has one address family: {LocalAddress} and {PeerAddress} differ");
        if ((uint)localPort > ushort.MaxValue || (uint)peerPort > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(localPort), "ports are 0..65535");
        LocalPort = localPort;
        PeerPort = peerPort;
    }

    /// <summary>The gateway's address.</summary>
    public IPAddress LocalAddress { get; }

    /// <summary>The gateway's port.</summary>
    public int LocalPort { get; }

    /// <summary>The peer's address.</summary>
    public IPAddress PeerAddress { get; }

    /// <summary>The peer's port.</summary>
    public int PeerPort { get; }

    /// <summary>The key of a connected socket, or null when it has no IP endpoints.</summary>
    public static FlowKey? FromSocket(Socket socket) =>
        socket.LocalEndPoint is IPEndPoint l && socket.RemoteEndPoint is IPEndPoint r
            ? new FlowKey(l.Address, l.Port, r.Address, r.Port)
            : null;

    /// <inheritdoc />
    public override string ToString() => $"{Format(LocalAddress, LocalPort)} <- {Format(PeerAddress, PeerPort)}";

    internal unsafe ProbeFlowKey ToRaw()
    {
        ProbeFlowKey raw = default;
        bool v4 = LocalAddress.AddressFamily == AddressFamily.InterNetwork;
        raw.Family = v4 ? ProbeAbi.FamilyIPv4 : ProbeAbi.FamilyIPv6;
        raw.Protocol = (byte)ProtocolType.Tcp;
        raw.LocalPort = (ushort)LocalPort;
        raw.PeerPort = (ushort)PeerPort;
        LocalAddress.TryWriteBytes(new Span<byte>(raw.LocalAddr, 16), out _);
        PeerAddress.TryWriteBytes(new Span<byte>(raw.PeerAddr, 16), out _);
        return raw;
    }

    internal static unsafe FlowKey FromRaw(in ProbeFlowKey raw)
    {
        int len = raw.Family == ProbeAbi.FamilyIPv4 ? 4 : 16;
        fixed (byte* local = raw.LocalAddr)
        fixed (byte* peer = raw.PeerAddr)
        {
            return new FlowKey(
                new IPAddress(new ReadOnlySpan<byte>(local, len)), raw.LocalPort,
                new IPAddress(new ReadOnlySpan<byte>(peer, len)), raw.PeerPort);
        }
    }

    private static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static string Format(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
}
