using System.Net;
using System.Net.Sockets;

namespace KernelProbe.Tests;

/// <summary>
/// The whole probe on real sockets and a real interface: each test makes its
/// own network namespace, so the TC hook it attaches is that namespace's lo and
/// tests never race each other or touch the host.
/// </summary>
public sealed class LiveProbeTests : IDisposable
{
    private const int IpProtoTcp = 6;
    private const int TcpMaxSeg = 2;
    private const int TcpInfo = 11;
    private const int Ipv6TClass = 67;
    private const int Ipv6UnicastHops = 16;
    private readonly string registryDir = Path.Combine(Path.GetTempPath(), "khg-registry-" + Guid.NewGuid().ToString("N"));

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void AcceptedConnection_ClientSocketOptions_AppearInFlowRecord(string address)
    {
        using var ns = new TestNetns();
        IPAddress ip = IPAddress.Parse(address);
        bool v6 = ip.AddressFamily == AddressFamily.InterNetworkV6;

        ns.Run(() =>
        {
            using WireProbe probe = StartProbe();
            using Socket listener = Listen(probe, ip);

            using var client = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (v6)
            {
                client.SetRawSocketOption((int)SocketOptionLevel.IPv6, Ipv6UnicastHops, BitConverter.GetBytes(37));
                client.SetRawSocketOption((int)SocketOptionLevel.IPv6, Ipv6TClass, BitConverter.GetBytes(0x28));
            }
            else
            {
                client.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, 37);
                client.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, 0x28);
            }
            client.SetRawSocketOption(IpProtoTcp, TcpMaxSeg, BitConverter.GetBytes(1200));
            client.Connect(listener.LocalEndPoint!);
            using Socket server = listener.Accept();

            client.Send(new byte[100]);
            ReceiveExactly(server, 100);
            server.Send(new byte[200]);
            ReceiveExactly(client, 200);

            var key = FlowKey.FromSocket(server)!.Value;
            FlowRecord rec = WaitForFlow(probe, key, r => r.BytesIn == 100 && r.BytesOut == 200);

            Assert.True(rec.Flags.HasFlag(FlowFlags.SynIn | FlowFlags.Handshake));
            Assert.Equal(37, rec.HandshakeTtl);
            Assert.Equal(10, rec.HandshakeDscp);
            Assert.Equal((ushort)1200, rec.HandshakeMss);
            Assert.NotNull(rec.HandshakeWindowScale);
            Assert.StartsWith("2-", rec.HandshakeOptions, StringComparison.Ordinal);
            // SYN, the handshake ACK and the data segment at least; SYN-ACK and data out.
            Assert.InRange(rec.PacketsIn, 3ul, 10ul);
            Assert.InRange(rec.PacketsOut, 2ul, 10ul);

            // The allocation-free read (what the gateway does per request) says the same, field by field.
            Assert.True(probe.TryReadFlow(key, out FlowView view));
            Assert.Equal(rec, view.ToRecord());
            Assert.Equal((rec.HandshakeTtl, rec.HandshakeDscp, rec.HandshakeEcn, rec.HandshakeMss, rec.HandshakeWindowScale, rec.HandshakeWindow),
                (view.HandshakeTtl, view.HandshakeDscp, view.HandshakeEcn, view.HandshakeMss, view.HandshakeWindowScale, view.HandshakeWindow));
            Assert.Equal((rec.PacketsIn, rec.PacketsOut, rec.BytesIn, rec.BytesOut, rec.ResetBy, rec.HandshakeRttUs),
                (view.PacketsIn, view.PacketsOut, view.BytesIn, view.BytesOut, view.ResetBy, view.HandshakeRttUs));

            // The client's end of the same connection is not the gateway's.
            Assert.False(probe.TryGetFlow(FlowKey.FromSocket(client)!.Value, out _));
            Assert.False(probe.TryReadFlow(FlowKey.FromSocket(client)!.Value, out _));
        });
    }

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void LiveTable_AcceptedAndUpstreamConnections_CountEveryExchangeExactly(string address)
    {
        using var ns = new TestNetns();
        IPAddress ip = IPAddress.Parse(address);
        ns.Run(() =>
        {
            // The default size (65536 slots): a C# slot index that differed from the programs' would miss.
            var options = Options();
            options.FlowTableSize = 65536;
            using WireProbe probe = StartProbe(options);
            Assert.Equal(65536u, probe.LiveTableSize);
            using Socket listener = Listen(probe, ip);
            using var upstream = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.RegisterUpstreamSocket(upstream);
            upstream.Connect(listener.LocalEndPoint!);
            using Socket accepted = listener.Accept();
            FlowKey down = FlowKey.FromSocket(accepted)!.Value;
            FlowKey up = FlowKey.FromSocket(upstream)!.Value;

            ulong small = 0, large = 0;
            for (int round = 1; round <= 5; round++)
            {
                upstream.Send(new byte[10 * round]);
                ReceiveExactly(accepted, 10 * round);
                accepted.Send(new byte[100 * round]);
                ReceiveExactly(upstream, 100 * round);
                small += (ulong)(10 * round);
                large += (ulong)(100 * round);
                WaitForFlow(probe, down, r => r.BytesIn == small && r.BytesOut == large);
                WaitForFlow(probe, up, r => r.BytesOut == small && r.BytesIn == large);

                // Both flows hold their slots: read without a system call, with what the wire carried.
                Assert.True(probe.TryReadLiveFlow(down, out FlowView d), $"{down} not in its slot");
                Assert.True(probe.TryReadLiveFlow(up, out FlowView u), $"{up} not in its slot");
                Assert.Equal((small, large), (d.BytesIn, d.BytesOut));
                Assert.Equal((large, small), (u.BytesIn, u.BytesOut));
                Assert.InRange(d.PacketsIn, (ulong)round + 2, (ulong)(4 * round) + 4);
                Assert.InRange(u.PacketsIn, (ulong)round + 1, (ulong)(4 * round) + 4);
                Assert.Equal(FlowFlags.SynIn | FlowFlags.Handshake | FlowFlags.Established,
                    d.ToRecord().Flags & (FlowFlags.SynIn | FlowFlags.Handshake | FlowFlags.Established));
                Assert.Equal(FlowFlags.SynOut | FlowFlags.Handshake, u.ToRecord().Flags & (FlowFlags.SynOut | FlowFlags.Handshake));
                // Set by the egress program after the slot was taken at the SYN: kept in the slot too.
                Assert.NotEqual(0u, d.ToRecord().LocalIsn);
                Assert.NotNull(d.HandshakeRttUs);
                Assert.NotNull(u.HandshakeRttUs);
            }

            upstream.Shutdown(SocketShutdown.Both);
            accepted.Shutdown(SocketShutdown.Both);
            FlowRecord closed = WaitForFlow(probe, down, r => r.ClosedBy != ConnectionCloser.None && r.Flags.HasFlag(FlowFlags.FinIn) && r.Flags.HasFlag(FlowFlags.FinOut));
            Assert.True(probe.TryReadLiveFlow(down, out FlowView last));
            Assert.Equal(closed, last.ToRecord());
            Assert.Equal(0ul, probe.Statistics()[ProbeStat.LiveBusy]);
        });
    }

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void ReadWhileSegmentsLeave_EveryRead_HasTheSegmentsItsHighestSequenceNeeds(string address)
    {
        // A read is one state the record had (LiveTable.Snapshot), never the highest sequence sent after a
        // segment with the counts from before it: that would make a request's packets_out short while its
        // bytes (from the sequences) are exact (issue 15). Writes of whole segments only: every segment
        // carries the MSS, so a true state has at least ceil(bytes sent / MSS) data segments out. A reader
        // spins on the flow while responses leave (millions of reads, many during the programs' updates).
        using var ns = new TestNetns();
        IPAddress ip = IPAddress.Parse(address);
        long reads = 0;
        var torn = new List<string>();
        ns.Run(() =>
        {
            using WireProbe probe = StartProbe();
            using Socket listener = Listen(probe, ip);
            using var client = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            client.SetRawSocketOption(IpProtoTcp, TcpMaxSeg, BitConverter.GetBytes(536));
            client.Connect(listener.LocalEndPoint!);
            using Socket server = listener.Accept();
            server.NoDelay = true;
            FlowKey key = FlowKey.FromSocket(server)!.Value;
            byte[] info = new byte[232];
            server.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
            int mss = BitConverter.ToInt32(info, 16); // tcpi_snd_mss
            var random = new Random(15);
            for (int round = 0; round < 20; round++)
            {
                using var stop = new ManualResetEventSlim();
                var reader = new Thread(() =>
                {
                    while (!stop.IsSet)
                    {
                        if (!probe.TryReadFlow(key, out FlowView view) || view.SentOffset is not { } sent)
                            continue;
                        reads++;
                        ulong needed = ((ulong)sent + (ulong)mss - 1) / (ulong)mss;
                        if (view.DataPacketsOut < needed && torn.Count < 10)
                            torn.Add($"{sent} bytes sent with {view.DataPacketsOut} data segments (at least {needed})");
                    }
                });
                reader.Start();
                int size = mss * (20 + random.Next(200));
                for (int sent = 0; sent < size;)
                {
                    int chunk = Math.Min(size - sent, mss * (1 + random.Next(4)));
                    server.Send(new byte[chunk]);
                    sent += chunk;
                }

                ReceiveExactly(client, size);
                stop.Set();
                reader.Join();
            }
        });
        Assert.True(reads > 1000, $"{reads} reads: the reader never ran alongside the segments");
        Assert.True(torn.Count == 0, $"torn reads among {reads}: {string.Join("; ", torn)}");
    }

    [SkippableFact]
    public void LiveCopy_SlotHeldByALiveFlow_NewFlowIsReadThroughTheTableUntilTheSlotFrees()
    {
        using var ns = new TestNetns();
        ns.Run(() =>
        {
            // One slot: every flow wants the same one.
            var options = Options();
            options.LiveTableSize = 1;
            using WireProbe probe = StartProbe(options);
            using Socket listener = Listen(probe, IPAddress.Loopback);

            (Socket Client, Socket Server, FlowKey Key) Connect(int bytes)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                client.Connect(listener.LocalEndPoint!);
                Socket server = listener.Accept();
                client.Send(new byte[bytes]);
                ReceiveExactly(server, bytes);
                var key = FlowKey.FromSocket(server)!.Value;
                WaitForFlow(probe, key, r => r.BytesIn == (ulong)bytes);
                return (client, server, key);
            }

            var first = Connect(11);
            var second = Connect(22);
            try
            {
                // The older live flow keeps the slot; the newer one is still read, through the table.
                Assert.True(probe.TryReadLiveFlow(first.Key, out FlowView firstView));
                Assert.Equal(11ul, firstView.BytesIn);
                Assert.False(probe.TryReadLiveFlow(second.Key, out _));
                Assert.True(probe.TryReadFlow(second.Key, out FlowView secondView));
                Assert.Equal(22ul, secondView.BytesIn);
                Assert.True(probe.Statistics()[ProbeStat.LiveBusy] >= 1);

                // Once the first flow's record is gone (its connection closed), the next new flow takes the slot.
                Assert.True(probe.RemoveFlow(first.Key));
                var third = Connect(33);
                using (third.Client)
                using (third.Server)
                {
                    Assert.True(probe.TryReadLiveFlow(third.Key, out FlowView thirdView));
                    Assert.Equal(33ul, thirdView.BytesIn);
                    Assert.False(probe.TryReadLiveFlow(first.Key, out _));
                    Assert.True(probe.TryReadFlow(second.Key, out secondView));
                    Assert.Equal(22ul, secondView.BytesIn);
                }
            }
            finally
            {
                first.Client.Dispose();
                first.Server.Dispose();
                second.Client.Dispose();
                second.Server.Dispose();
            }
        });
    }

    [Fact]
    public void Start_LiveTableSizeNotAPowerOfTwo_IsRefusedBeforeLoading()
    {
        var options = Options();
        options.LiveTableSize = 1000;

        ArgumentException e = Assert.Throws<ArgumentException>(() => WireProbe.Start(options));

        Assert.Contains("power of two", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void DualStackListener_IPv4Client_IsFoundUnderItsIPv4Address()
    {
        using var ns = new TestNetns();
        ns.Run(() =>
        {
            using WireProbe probe = StartProbe();
            // What Kestrel does for http://*:PORT: one IPv6 socket that also accepts IPv4.
            using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
            listener.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            probe.AttachSocket(listener);
            listener.Listen();
            int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, 55);
            client.Connect(new IPEndPoint(IPAddress.Loopback, port));
            using Socket server = listener.Accept();
            client.Send(new byte[5]);
            ReceiveExactly(server, 5);

            var local = (IPEndPoint)server.LocalEndPoint!;
            Assert.True(local.Address.IsIPv4MappedToIPv6, $"expected a mapped address, got {local.Address}");
            FlowKey key = FlowKey.FromSocket(server)!.Value;
            Assert.Equal(IPAddress.Loopback, key.LocalAddress);
            FlowRecord rec = WaitForFlow(probe, key, r => r.BytesIn == 5);
            Assert.Equal(55, rec.HandshakeTtl);
        });
    }

    [SkippableFact]
    public void UpstreamConnection_RegisteredSocket_RecordsPeerSynAck()
    {
        using var ns = new TestNetns();
        ns.Run(() =>
        {
            using WireProbe probe = StartProbe();
            using var backend = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            backend.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            backend.SetRawSocketOption(IpProtoTcp, TcpMaxSeg, BitConverter.GetBytes(1300));
            backend.Listen();

            using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.RegisterUpstreamSocket(upstream);
            upstream.Connect(backend.LocalEndPoint!);
            using Socket accepted = backend.Accept();
            upstream.Send(new byte[42]);
            ReceiveExactly(accepted, 42);
            accepted.Send(new byte[7]);
            ReceiveExactly(upstream, 7);

            FlowRecord rec = WaitForFlow(probe, FlowKey.FromSocket(upstream)!.Value, r => r.BytesOut == 42 && r.BytesIn == 7);

            Assert.True(rec.Flags.HasFlag(FlowFlags.SynOut | FlowFlags.Handshake));
            Assert.False(rec.Flags.HasFlag(FlowFlags.SynIn));
            Assert.Equal(64, rec.HandshakeTtl);
            Assert.Equal((ushort)1300, rec.HandshakeMss);
            Assert.NotEqual(0u, rec.LocalIsn);
            Assert.False(probe.TryGetFlow(FlowKey.FromSocket(accepted)!.Value, out _));
        });
    }

    [SkippableFact]
    public void UnregisteredSocket_TrafficOnSameInterface_IsNotRecorded()
    {
        using var ns = new TestNetns();
        ns.Run(() =>
        {
            using WireProbe probe = StartProbe();
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(listener.LocalEndPoint!);
            using Socket server = listener.Accept();
            client.Send(new byte[10]);
            ReceiveExactly(server, 10);

            Assert.Empty(probe.Flows());
            Assert.True(probe.Statistics()[ProbeStat.NotOurs] >= 2);
        });
    }

    [SkippableFact]
    public void Dispose_AfterStart_RemovesFilterQdiscAndRecord()
    {
        using var ns = new TestNetns();
        ns.Run(() =>
        {
            WireProbe probe = StartProbe();
            TcAttachment attachment = Assert.Single(probe.Attachments);
            Assert.Equal(attachment.ProgramId, TcAttachment.Query(attachment.IfIndex, TcDirection.Egress, attachment.Handle, attachment.Priority));
            Assert.Single(new AttachmentRegistry(registryDir).List());

            probe.Dispose();

            Assert.Null(TcAttachment.Query(attachment.IfIndex, TcDirection.Egress, attachment.Handle, attachment.Priority));
            Assert.Empty(new AttachmentRegistry(registryDir).List());
            Assert.DoesNotContain("clsact", TestNetns.Run("tc", "qdisc", "show", "dev", "lo"), StringComparison.Ordinal);
        });
    }

    [SkippableFact]
    public void TwoGatewaysOnOneInterface_EachCountsWhatItSends()
    {
        // Filters on one hook run in turn until one gives a verdict: a program that answered
        // TC_ACT_OK hid every later filter, here the second gateway's, from the packets.
        using var ns = new TestNetns();
        ns.Run(() =>
        {
            using WireProbe first = StartProbe();
            using WireProbe second = StartProbe();
            foreach (WireProbe probe in new[] { first, second })
            {
                using Socket listener = Listen(probe, IPAddress.Loopback);
                using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                client.Connect(listener.LocalEndPoint!);
                using Socket accepted = listener.Accept();
                accepted.Send(new byte[700]);
                ReceiveExactly(client, 700);

                FlowRecord flow = WaitForFlow(probe, FlowKey.FromSocket(accepted)!.Value, r => r.BytesOut == 700);
                Assert.Equal(700ul, flow.BytesOut);
            }
        });
    }

    [SkippableFact]
    public void Dispose_CreatorLeavesBeforeSecondGateway_LastOneOutRemovesQdisc()
    {
        using var ns = new TestNetns();
        ns.Run(() =>
        {
            WireProbe creator = StartProbe();
            WireProbe second = StartProbe();
            Assert.True(creator.Attachments[0].CreatedHook);
            Assert.False(second.Attachments[0].CreatedHook);

            creator.Dispose();
            Assert.Contains("clsact", TestNetns.Run("tc", "qdisc", "show", "dev", "lo"), StringComparison.Ordinal);
            second.Dispose();

            Assert.DoesNotContain("clsact", TestNetns.Run("tc", "qdisc", "show", "dev", "lo"), StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(registryDir));
        });
    }

    [SkippableFact]
    public void Dispose_QdiscThatWasThereBefore_IsKept()
    {
        using var ns = new TestNetns();
        ns.Run(() =>
        {
            TestNetns.Run("tc", "qdisc", "add", "dev", "lo", "clsact");
            WireProbe probe = StartProbe();
            Assert.False(probe.Attachments[0].CreatedHook);

            probe.Dispose();

            Assert.Contains("clsact", TestNetns.Run("tc", "qdisc", "show", "dev", "lo"), StringComparison.Ordinal);
        });
    }

    [SkippableFact]
    public void SweepStale_FilterOfDeadOwner_IsRemovedAndLiveOwnersKept()
    {
        using var ns = new TestNetns();
        ns.Run(() =>
        {
            using BpfObject obj = KernelRequirement.LoadFresh();
            BpfProgram tc = obj.Program(WireProbe.TcProgramName);
            var registry = new AttachmentRegistry(registryDir);
            TcAttachment live = TcAttachment.Attach(tc, "lo", TcDirection.Egress, registry);
            TcAttachment orphan = TcAttachment.Attach(tc, "lo", TcDirection.Egress);
            // Pretend a gateway that has since died attached the second filter.
            var dead = new ProcessIdentity(DeadPid(), 1);
            File.WriteAllText(Path.Combine(registryDir, "tc-dead.json"), System.Text.Json.JsonSerializer.Serialize(
                new AttachmentState(dead, "lo", orphan.IfIndex, TcDirection.Egress, orphan.Handle, orphan.Priority, orphan.ProgramId, tc.Name, false),
                new System.Text.Json.JsonSerializerOptions { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } }));

            IReadOnlyList<AttachmentState> removed = registry.SweepStale();

            AttachmentState gone = Assert.Single(removed);
            Assert.Equal(orphan.Handle, gone.Handle);
            Assert.Null(TcAttachment.Query(orphan.IfIndex, TcDirection.Egress, orphan.Handle, orphan.Priority));
            Assert.Equal(live.ProgramId, TcAttachment.Query(live.IfIndex, TcDirection.Egress, live.Handle, live.Priority));
            Assert.Single(registry.List());
            live.Dispose();
        });
    }

    [SkippableFact]
    public void Start_UnknownInterface_FailsWithContextAndLeavesNothing()
    {
        using var ns = new TestNetns();
        ns.Run(() =>
        {
            var options = Options();
            options.Interfaces = ["lo", "nosuchif0"];
            ProbeException e = Assert.Throws<ProbeException>(() => WireProbe.Start(options));

            Assert.Contains("start wire probe: attach tc egress nosuchif0", e.Message, StringComparison.Ordinal);
            Assert.Equal(19, e.Errno);
            Assert.Empty(new AttachmentRegistry(registryDir).List());
            Assert.Equal("", TestNetns.Run("tc", "filter", "show", "dev", "lo", "egress").Trim());
        });
    }

    [SkippableFact]
    public void Load_ProgramTheVerifierRefuses_CarriesVerifierLogAndIsNoPermissionProblem()
    {
        ProbeException e = Assert.Throws<ProbeException>(() => BpfObject.Load(Path.Combine(AppContext.BaseDirectory, "bpf", "rejected.bpf.o")));

        Skip.If(e.Errno == 1 && !e.IsVerifierRejection && !KernelRequirement.InCi, "loading BPF needs CAP_BPF");
        Assert.True(e.IsVerifierRejection, e.Message);
        Assert.False(e.IsPermissionDenied);
        Assert.Contains("load BPF object rejected.bpf.o", e.Message, StringComparison.Ordinal);
        Assert.Contains("verifier log:", e.Message, StringComparison.Ordinal);
        Assert.Matches("(invalid|unbounded|variable)", e.Detail!);
    }

    [Fact]
    public void Load_MissingObject_NamesThePath()
    {
        ProbeException e = Assert.Throws<ProbeException>(() => BpfObject.Load("/nonexistent/probe.bpf.o"));

        Assert.Contains("/nonexistent/probe.bpf.o", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, e.Errno);
    }

    private WireProbeOptions Options() => new()
    {
        ObjectPath = KernelRequirement.ObjectPath,
        Interfaces = ["lo"],
        FlowTableSize = 1024,
        RegistryDirectory = registryDir,
    };

    private WireProbe StartProbe(WireProbeOptions? options = null)
    {
        try
        {
            return WireProbe.Start(options ?? Options());
        }
        catch (ProbeException e) when (e.IsPermissionDenied && !KernelRequirement.InCi)
        {
            Skip.If(true, $"needs CAP_BPF and CAP_NET_ADMIN: {e.Message}");
            throw;
        }
    }

    // A listening socket on ip (any port) with the socket filter attached, as the gateway's are.
    private static Socket Listen(WireProbe probe, IPAddress ip)
    {
        var listener = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(ip, 0));
        probe.AttachSocket(listener);
        listener.Listen();
        return listener;
    }

    private static FlowRecord WaitForFlow(WireProbe probe, FlowKey key, Func<FlowRecord, bool> done)
    {
        FlowRecord? last = null;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            if (probe.TryGetFlow(key, out last) && done(last!))
                return last!;
            Thread.Sleep(20);
        }
        Assert.Fail($"flow {key} never reached the expected state; last seen: {last?.ToString() ?? "no record"}");
        return null!;
    }

    private static void ReceiveExactly(Socket socket, int count)
    {
        byte[] buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = socket.Receive(buffer, got, count - got, SocketFlags.None);
            Assert.True(n > 0, "peer closed early");
            got += n;
        }
    }

    private static int DeadPid()
    {
        using var p = System.Diagnostics.Process.Start("true")!;
        p.WaitForExit();
        return p.Id;
    }

    public void Dispose()
    {
        if (Directory.Exists(registryDir))
            Directory.Delete(registryDir, recursive: true);
    }
}

/// <summary>The inventory of loaded programs that the leftover check relies on.</summary>
public sealed class ProgramInventoryTests
{
    [SkippableFact]
    public void Ours_WhileObjectLoaded_ListsBothProgramsAndAfterDisposeNone()
    {
        uint socketId;
        uint tcId;
        using (BpfObject obj = KernelRequirement.LoadFresh())
        {
            IReadOnlyList<LoadedProgram> loaded = ProgramInventory.Ours();
            LoadedProgram socket = Assert.Single(loaded, p => p.Name == WireProbe.SocketProgramName && p.Type == 1 && IsFd(obj.Program(WireProbe.SocketProgramName), p.Id));
            LoadedProgram tc = Assert.Single(loaded, p => p.Name == WireProbe.TcProgramName && p.Type == 3 && IsFd(obj.Program(WireProbe.TcProgramName), p.Id));
            socketId = socket.Id;
            tcId = tc.Id;
        }

        // Freed once the last reference (our object) is gone; the kernel frees asynchronously.
        SpinWait.SpinUntil(() => !ProgramInventory.All().Any(p => p.Id == socketId || p.Id == tcId), TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(ProgramInventory.All(), p => p.Id == socketId || p.Id == tcId);
    }

    private static bool IsFd(BpfProgram program, uint id) => program.Id == id;
}
