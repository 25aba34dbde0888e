using System.Net;
using System.Net.Sockets;
using Gateway.Correlation;

namespace Gateway.Tests.Correlation;

public sealed class ConnectionTupleTests
{
    [Fact]
    public void Constructor_Ipv4MappedAddresses_AreNormalizedToIpv4()
    {
        var tuple = new ConnectionTuple(IPAddress.Parse("::ffff:127.0.0.1"), 8080, IPAddress.Parse("::ffff:10.1.2.3"), 50000);

        Assert.Equal(IPAddress.Parse("127.0.0.1"), tuple.LocalAddress);
        Assert.Equal(IPAddress.Parse("10.1.2.3"), tuple.PeerAddress);
        Assert.Equal("ipv4", tuple.NetworkType);
    }

    [Fact]
    public void Equality_MappedAndPlainIpv4_AreTheSameConnection()
    {
        var mapped = new ConnectionTuple(IPAddress.Parse("::ffff:127.0.0.1"), 1, IPAddress.Parse("::ffff:127.0.0.1"), 2);
        var plain = new ConnectionTuple(IPAddress.Loopback, 1, IPAddress.Loopback, 2);

        Assert.Equal(plain, mapped);
    }

    [Fact]
    public void Constructor_RealIpv6_StaysIpv6()
    {
        var tuple = new ConnectionTuple(IPAddress.IPv6Loopback, 8080, IPAddress.IPv6Loopback, 50000);

        Assert.Equal("ipv6", tuple.NetworkType);
        Assert.Equal("[::1]:8080 <- [::1]:50000", tuple.ToString());
    }

    [Fact]
    public async Task FromSocket_DualModeSocketConnectedOverIpv4_GivesIpv4Tuple()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        await socket.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);

        var tuple = ConnectionTuple.FromSocket(socket);

        Assert.NotNull(tuple);
        Assert.Equal(IPAddress.Loopback, tuple.Value.LocalAddress);
        Assert.Equal(IPAddress.Loopback, tuple.Value.PeerAddress);
        Assert.Equal(((IPEndPoint)listener.LocalEndpoint).Port, tuple.Value.PeerPort);
        Assert.Equal("ipv4", tuple.Value.NetworkType);
    }

    [Fact]
    public void FromSocket_UnconnectedSocket_IsNull()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        Assert.Null(ConnectionTuple.FromSocket(socket));
    }
}
