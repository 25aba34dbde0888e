using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace KernelProbe.Tests;

/// <summary>
/// Ground truth from the wire: real connections between two test hosts (or on
/// a namespace's lo), compared with an independent AF_PACKET capture of the
/// same packets and with the kernel's own TCP_INFO of the same sockets.
/// </summary>
public sealed class WireFidelityTests : IDisposable
{
    private const int IpProtoTcp = 6;
    private const int TcpMaxSeg = 2;
    private const int TcpInfo = 11;
    private const int TcpWindowClamp = 10;
    private const int IpMtuDiscover = 10;
    private const int Ipv6UnicastHops = 16;
    private const int Ipv6TClass = 67;
    private readonly string registryDir = Path.Combine(Path.GetTempPath(), "khg-fidelity-" + Guid.NewGuid().ToString("N"));

    public static TheoryData<int, int, int, int, int, bool> ClientOptions => new()
    {
        // ttl, tos, mss, window clamp, receive buffer, don't-fragment
        { 37, 0x28, 1200, 0, 0, true },
        { 200, 0xb8, 0, 3000, 0, true },
        { 64, 0x01, 0, 0, 4096, false },
        { 5, 0x00, 536, 0, 65536, true },
    };

    [SkippableTheory]
    [MemberData(nameof(ClientOptions))]
    public void AcceptedConnection_VariedClientOptions_RecordMatchesCapture(int ttl, int tos, int mss, int clamp, int rcvbuf, bool df)
    {
        using var link = new VethLink();
        WireProbe probe = link.A.Run(() => StartProbe("a0"));
        try
        {
            using Capture capture = link.A.Run(() => new Capture("a0"));
            using Socket listener = link.A.Run(() => Listen(probe, IPAddress.Parse(VethLink.AddressA)));
            using Socket client = link.B.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            client.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, ttl);
            client.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, tos);
            if (mss > 0)
                client.SetRawSocketOption(IpProtoTcp, TcpMaxSeg, BitConverter.GetBytes(mss));
            if (clamp > 0)
                client.SetRawSocketOption(IpProtoTcp, TcpWindowClamp, BitConverter.GetBytes(clamp));
            if (rcvbuf > 0)
                client.ReceiveBufferSize = rcvbuf;
            if (!df)
                client.SetRawSocketOption((int)SocketOptionLevel.IP, IpMtuDiscover, BitConverter.GetBytes(0));

            client.Connect(listener.LocalEndPoint!);
            using Socket server = listener.Accept();
            Exchange(client, server, 300, 5000);
            FlowKey key = FlowKey.FromSocket(server)!.Value;
            FlowRecord rec = WaitForFlow(probe, key, r => r.BytesIn == 300 && r.BytesOut == 5000);

            var segments = capture.WaitUntil(seen => Exchanged(seen, key, 300, 5000)).Where(s => Belongs(s, key)).ToList();
            CapturedSegment syn = segments.First(s => !s.Outgoing && s.IsSyn && !s.IsAck);
            AssertHandshake(rec, syn);
            Assert.Equal(ttl, rec.HandshakeTtl);
            // The kernel owns the ECN bits of a TCP socket: only DSCP is the client's to set.
            Assert.Equal(tos >> 2, rec.HandshakeDscp);
            Assert.Equal(df, rec.HandshakeDontFragment);
            if (mss > 0)
                Assert.Equal((ushort)mss, rec.HandshakeMss);
            Assert.Equal((ulong)segments.Where(s => !s.Outgoing).Sum(s => s.Payload), rec.BytesIn);
            Assert.Equal((ulong)segments.Where(s => s.Outgoing).Sum(s => s.Payload), rec.BytesOut);
        }
        finally
        {
            link.A.Run(probe.Dispose);
        }
    }

    [SkippableFact]
    public void UpstreamConnection_BackendSynAck_RecordMatchesCapture()
    {
        using var link = new VethLink();
        WireProbe probe = link.A.Run(() => StartProbe("a0"));
        try
        {
            using Capture capture = link.A.Run(() => new Capture("a0"));
            using Socket backend = link.B.Run(() =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, 99);
                s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, 0x48);
                s.SetRawSocketOption(IpProtoTcp, TcpMaxSeg, BitConverter.GetBytes(1300));
                s.Bind(new IPEndPoint(IPAddress.Parse(VethLink.AddressB), 0));
                s.Listen();
                return s;
            });
            using Socket upstream = link.A.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            probe.RegisterUpstreamSocket(upstream);
            upstream.Connect(backend.LocalEndPoint!);
            using Socket accepted = backend.Accept();
            Exchange(upstream, accepted, 700, 90);
            FlowKey key = FlowKey.FromSocket(upstream)!.Value;
            FlowRecord rec = WaitForFlow(probe, key, r => r.BytesOut == 700 && r.BytesIn == 90);

            var segments = capture.WaitUntil(seen => Exchanged(seen, key, 90, 700)).Where(s => Belongs(s, key)).ToList();
            CapturedSegment synAck = segments.First(s => !s.Outgoing && s.IsSyn && s.IsAck);
            AssertHandshake(rec, synAck);
            Assert.Equal(99, rec.HandshakeTtl);
            Assert.Equal(0x48 >> 2, rec.HandshakeDscp);
            Assert.Equal((ushort)1300, rec.HandshakeMss);
            Assert.True(rec.Flags.HasFlag(FlowFlags.SynOut));
            Assert.Equal((ulong)segments.Where(s => !s.Outgoing).Sum(s => s.Payload), rec.BytesIn);
            Assert.Equal((ulong)segments.Where(s => s.Outgoing).Sum(s => s.Payload), rec.BytesOut);
        }
        finally
        {
            link.A.Run(probe.Dispose);
        }
    }

    [SkippableFact]
    public void AcceptedConnection_IPv6HopLimitAndClass_RecordMatchesCapture()
    {
        using var ns = new TestNetns();
        WireProbe probe = ns.Run(() => StartProbe("lo"));
        try
        {
            using Capture capture = ns.Run(() => new Capture("lo"));
            using Socket listener = ns.Run(() => Listen(probe, IPAddress.IPv6Loopback));
            using Socket client = ns.Run(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp));
            client.SetRawSocketOption((int)SocketOptionLevel.IPv6, Ipv6UnicastHops, BitConverter.GetBytes(9));
            client.SetRawSocketOption((int)SocketOptionLevel.IPv6, Ipv6TClass, BitConverter.GetBytes(0x22));
            client.SetRawSocketOption(IpProtoTcp, TcpMaxSeg, BitConverter.GetBytes(1100));
            client.Connect(listener.LocalEndPoint!);
            using Socket server = listener.Accept();
            Exchange(client, server, 120, 4000);
            FlowKey key = FlowKey.FromSocket(server)!.Value;
            FlowRecord rec = WaitForFlow(probe, key, r => r.BytesIn == 120 && r.BytesOut == 4000);

            // On lo every packet is captured leaving and arriving: keep the arrivals only.
            var segments = capture.WaitUntil(seen => ArrivedOnLoopback(seen, key, 120, 4000))
                .Where(s => !s.Outgoing && Belongs(s, key)).ToList();
            CapturedSegment syn = segments.First(s => s.IsSyn && !s.IsAck && s.SourcePort == key.PeerPort);
            AssertHandshake(rec, syn);
            Assert.Equal(9, rec.HandshakeTtl);
            Assert.Equal(0x22 >> 2, rec.HandshakeDscp);
            Assert.Equal((ushort)1100, rec.HandshakeMss);
            Assert.Equal((ulong)segments.Where(s => s.SourcePort == key.PeerPort).Sum(s => s.Payload), rec.BytesIn);
            Assert.Equal((ulong)segments.Where(s => s.SourcePort == key.LocalPort).Sum(s => s.Payload), rec.BytesOut);
        }
        finally
        {
            ns.Run(probe.Dispose);
        }
    }

    [SkippableFact]
    public void LossyLink_GatewayRetransmits_CountEqualsKernelTcpInfo()
    {
        using var link = new VethLink();
        WireProbe probe = link.A.Run(() => StartProbe("a0"));
        FaultInjector faults = link.B.Run(() => new FaultInjector("b0", dropEvery: 4, dropBudget: 3));
        try
        {
            using Socket listener = link.A.Run(() => Listen(probe, IPAddress.Parse(VethLink.AddressA)));
            using Socket client = link.B.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            client.Connect(listener.LocalEndPoint!);
            using Socket server = listener.Accept();
            server.NoDelay = true;
            for (int i = 0; i < 20; i++)
            {
                server.Send(new byte[100]);
                Thread.Sleep(3);
            }
            ReceiveExactly(client, 2000);
            FlowKey key = FlowKey.FromSocket(server)!.Value;
            uint kernel = TotalRetrans(server);
            FlowRecord rec = WaitForFlow(probe, key, r => r.RetransmitsOut >= kernel && r.BytesOut >= 2000);

            Assert.Equal(3u, faults.Dropped);
            Assert.True(kernel >= 3, $"the kernel retransmitted {kernel} segments for 3 losses");
            Assert.Equal(kernel, (uint)rec.RetransmitsOut);
            Assert.Equal(0ul, rec.BytesOut - 2000 - RetransmittedBytes(rec));
        }
        finally
        {
            link.B.Run(faults.Dispose);
            link.A.Run(probe.Dispose);
        }
    }

    [SkippableFact]
    public void DelayedLink_HandshakeRtt_IsTheDelayAndAgreesWithKernel()
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(30);
        using var link = new VethLink();
        WireProbe probe = link.A.Run(() => StartProbe("a0"));
        FaultInjector faults = link.B.Run(() => new FaultInjector("b0", delay: delay));
        try
        {
            // Downstream: the peer's ACK of our SYN-ACK is held for the delay.
            using Socket listener = link.A.Run(() => Listen(probe, IPAddress.Parse(VethLink.AddressA)));
            using Socket client = link.B.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            try
            {
                client.Connect(listener.LocalEndPoint!);
            }
            catch (SocketException e)
            {
                Assert.Fail($"connect through the delay line failed ({e.Message}); frames delayed: {faults.Delayed}, sent again: {faults.Resent}, send errors: {faults.SendErrors}");
            }
            using Socket server = listener.Accept();
            FlowRecord down = WaitForFlow(probe, FlowKey.FromSocket(server)!.Value, r => r.HandshakeRttUs is not null);

            // Upstream: the backend's SYN-ACK is held for the delay.
            using Socket backend = link.B.Run(() => Listen(null, IPAddress.Parse(VethLink.AddressB)));
            using Socket upstream = link.A.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            probe.RegisterUpstreamSocket(upstream);
            upstream.Connect(backend.LocalEndPoint!);
            uint kernelUpstreamRttUs = TcpInfoRttUs(upstream);
            FlowRecord up = WaitForFlow(probe, FlowKey.FromSocket(upstream)!.Value, r => r.HandshakeRttUs is not null);
            uint kernelDownstreamRttUs = TcpInfoRttUs(server);

            uint delayUs = (uint)delay.TotalMicroseconds;
            Assert.InRange(down.HandshakeRttUs!.Value, delayUs, delayUs + 40_000);
            Assert.InRange(up.HandshakeRttUs!.Value, delayUs, delayUs + 40_000);
            Assert.InRange((int)up.HandshakeRttUs.Value - (int)kernelUpstreamRttUs, -3_000, 3_000);
            Assert.InRange((int)down.HandshakeRttUs.Value - (int)kernelDownstreamRttUs, -3_000, 3_000);
            Assert.True(faults.Delayed >= 2);
        }
        finally
        {
            link.B.Run(faults.Dispose);
            link.A.Run(probe.Dispose);
        }
    }

    [SkippableFact]
    public void PeerChangesTtlAndResets_RecordAndEventsSayWhatHappened()
    {
        using var link = new VethLink();
        var events = new List<ProbeEvent>();
        WireProbe probe = link.A.Run(() => StartProbe("a0", ev => { lock (events) events.Add(ev); }));
        try
        {
            using Socket listener = link.A.Run(() => Listen(probe, IPAddress.Parse(VethLink.AddressA)));
            using Socket client = link.B.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            client.Connect(listener.LocalEndPoint!);
            using Socket server = listener.Accept();
            FlowKey key = FlowKey.FromSocket(server)!.Value;
            client.Send(new byte[10]);
            ReceiveExactly(server, 10);
            client.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, 17);
            client.Send(new byte[10]);
            ReceiveExactly(server, 10);
            client.LingerState = new LingerOption(true, 0);
            client.Close();

            FlowRecord rec = WaitForFlow(probe, key, r => r.ResetBy is not null);
            Assert.Equal(1u, rec.TtlChanges);
            Assert.Equal(17, rec.LastTtl);
            Assert.Equal(64, rec.HandshakeTtl);
            Assert.Equal(ConnectionCloser.Peer, rec.ResetBy);
            Assert.Equal(ConnectionCloser.Peer, rec.ClosedBy);
            SpinWait.SpinUntil(() => { lock (events) return events.Count >= 2; }, TimeSpan.FromSeconds(5));
            lock (events)
            {
                Assert.Contains(events, e => e.Kind == ProbeEventKind.TtlChange && e.Flow == key && e.Ttl == 17 && e.PreviousTtl == 64);
                Assert.Contains(events, e => e.Kind == ProbeEventKind.ResetIn && e.Flow == key);
            }
        }
        finally
        {
            link.A.Run(probe.Dispose);
        }
    }

    [SkippableFact]
    public void SlowReader_PeerAdvertisesZeroWindow_IsCounted()
    {
        using var link = new VethLink();
        WireProbe probe = link.A.Run(() => StartProbe("a0"));
        try
        {
            using Socket listener = link.A.Run(() => Listen(probe, IPAddress.Parse(VethLink.AddressA)));
            using Socket client = link.B.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            client.ReceiveBufferSize = 4096;
            client.Connect(listener.LocalEndPoint!);
            using Socket server = listener.Accept();
            server.Blocking = false;
            byte[] chunk = new byte[16384];
            var until = DateTime.UtcNow.AddSeconds(3);
            while (DateTime.UtcNow < until)
            {
                try
                {
                    server.Send(chunk);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
                {
                    break;
                }
            }
            FlowRecord rec = WaitForFlow(probe, FlowKey.FromSocket(server)!.Value, r => r.ZeroWindowIn >= 1);

            Assert.True(rec.Flags.HasFlag(FlowFlags.ZeroWindowIn));
        }
        finally
        {
            link.A.Run(probe.Dispose);
        }
    }

    private static void AssertHandshake(FlowRecord rec, CapturedSegment seen)
    {
        Assert.True(rec.HasHandshake);
        Assert.Equal(seen.Ttl, rec.HandshakeTtl);
        Assert.Equal(seen.Tos, rec.HandshakeTos);
        Assert.Equal(seen.DontFragment, rec.HandshakeDontFragment);
        Assert.Equal(seen.Window, rec.HandshakeWindow);
        Assert.Equal(seen.OptionKinds, rec.HandshakeOptions);
        Assert.Equal(seen.Mss, (int?)rec.HandshakeMss);
        Assert.Equal(seen.WindowScale, (int?)rec.HandshakeWindowScale);
        Assert.Equal(seen.Seq, rec.PeerIsn);
    }

    private static bool Belongs(CapturedSegment s, FlowKey key) =>
        (s.SourcePort == key.PeerPort && s.DestinationPort == key.LocalPort) ||
        (s.SourcePort == key.LocalPort && s.DestinationPort == key.PeerPort);

    // The capture has the flow's handshake and at least the payload the test exchanged each way
    // (counted from what the test itself sent, not from the record under test).
    private static bool Exchanged(IReadOnlyList<CapturedSegment> seen, FlowKey key, int bytesIn, int bytesOut)
    {
        var flow = seen.Where(s => Belongs(s, key)).ToList();
        return flow.Any(s => !s.Outgoing && s.IsSyn)
            && flow.Where(s => !s.Outgoing).Sum(s => s.Payload) >= bytesIn
            && flow.Where(s => s.Outgoing).Sum(s => s.Payload) >= bytesOut;
    }

    // On lo each segment is captured leaving and arriving: count the arrivals by their sender.
    private static bool ArrivedOnLoopback(IReadOnlyList<CapturedSegment> seen, FlowKey key, int bytesIn, int bytesOut)
    {
        var arrived = seen.Where(s => !s.Outgoing && Belongs(s, key)).ToList();
        return arrived.Any(s => s.IsSyn && !s.IsAck && s.SourcePort == key.PeerPort)
            && arrived.Where(s => s.SourcePort == key.PeerPort).Sum(s => s.Payload) >= bytesIn
            && arrived.Where(s => s.SourcePort == key.LocalPort).Sum(s => s.Payload) >= bytesOut;
    }

    private WireProbe StartProbe(string interfaceName, Action<ProbeEvent>? onEvent = null)
    {
        try
        {
            return WireProbe.Start(new WireProbeOptions
            {
                ObjectPath = KernelRequirement.ObjectPath,
                Interfaces = [interfaceName],
                FlowTableSize = 1024,
                RegistryDirectory = registryDir,
            }, onEvent);
        }
        catch (ProbeException e) when (e.IsPermissionDenied && !KernelRequirement.InCi)
        {
            Skip.If(true, $"needs CAP_BPF and CAP_NET_ADMIN: {e.Message}");
            throw;
        }
    }

    private static Socket Listen(WireProbe? probe, IPAddress address)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        probe?.AttachSocket(listener);
        listener.Listen();
        return listener;
    }

    private static void Exchange(Socket client, Socket server, int up, int down)
    {
        client.Send(new byte[up]);
        ReceiveExactly(server, up);
        server.Send(new byte[down]);
        ReceiveExactly(client, down);
    }

    private static void ReceiveExactly(Socket socket, int count)
    {
        byte[] buffer = new byte[count];
        int got = 0;
        socket.ReceiveTimeout = 10_000;
        while (got < count)
        {
            int n = socket.Receive(buffer, got, count - got, SocketFlags.None);
            Assert.True(n > 0, "peer closed early");
            got += n;
        }
    }

    private static uint TotalRetrans(Socket socket) => BinaryPrimitives.ReadUInt32LittleEndian(TcpInfoBytes(socket).AsSpan(100));

    private static uint TcpInfoRttUs(Socket socket) => BinaryPrimitives.ReadUInt32LittleEndian(TcpInfoBytes(socket).AsSpan(68));

    private static byte[] TcpInfoBytes(Socket socket)
    {
        byte[] info = new byte[232];
        socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
        return info;
    }

    private static ulong RetransmittedBytes(FlowRecord rec) => rec.RetransmitsOut * 100;

    private static FlowRecord WaitForFlow(WireProbe probe, FlowKey key, Func<FlowRecord, bool> done)
    {
        FlowRecord? last = null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (probe.TryGetFlow(key, out last) && done(last!))
                return last!;
            Thread.Sleep(20);
        }
        Assert.Fail($"flow {key} never reached the expected state; last seen: {last?.ToString() ?? "no record"}");
        return null!;
    }

    public void Dispose()
    {
        if (Directory.Exists(registryDir))
            Directory.Delete(registryDir, recursive: true);
    }
}
