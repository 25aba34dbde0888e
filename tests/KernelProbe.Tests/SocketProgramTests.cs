using System.Net;

namespace KernelProbe.Tests;

/// <summary>
/// The socket filter run in the kernel (BPF_PROG_TEST_RUN) on crafted frames:
/// each test checks the exact flow record a packet leaves, or that it leaves none.
/// </summary>
public sealed class SocketProgramTests
{
    private static readonly FlowKey V4Key = new(IPAddress.Parse("198.18.0.2"), 8080, IPAddress.Parse("198.18.0.1"), 40000);

    [SkippableFact]
    public void Receive_IPv4SynWithOptions_RecordsHandshakeOfPeer()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Ttl = 37, Tos = 0x29, Seq = 77, Window = 64240, Options = TcpFrame.LinuxSynOptions(1200, 7) });

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.Equal(FlowFlags.Handshake | FlowFlags.SynIn | FlowFlags.Mss | FlowFlags.WindowScale | FlowFlags.RcvMax, rec.Flags);
        Assert.Equal(37, rec.HandshakeTtl);
        Assert.Equal(10, rec.HandshakeDscp);
        Assert.Equal(1, rec.HandshakeEcn);
        Assert.Equal(64240, rec.HandshakeWindow);
        Assert.Equal((ushort)1200, rec.HandshakeMss);
        Assert.Equal((byte)7, rec.HandshakeWindowScale);
        Assert.Equal("2-4-8-1-3", rec.HandshakeOptions);
        Assert.Equal(77u, rec.PeerIsn);
        Assert.Equal(1ul, rec.PacketsIn);
        Assert.Equal(0ul, rec.BytesIn);
        Assert.Equal(0ul, rec.PacketsOut);
        Assert.Equal(1, h.FlowCount);
    }

    [SkippableFact]
    public void Receive_IPv6SynWithTrafficClass_RecordsHopLimitAndClass()
    {
        using var h = new Harness();
        var frame = new TcpFrame
        {
            Source = IPAddress.Parse("2001:db8::1"),
            Destination = IPAddress.Parse("2001:db8::2"),
            Ttl = 33,
            Tos = 0xb8,
            Options = TcpFrame.LinuxSynOptions(1440, 9),
        };
        h.Receive(frame);

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(new FlowKey(IPAddress.Parse("2001:db8::2"), 8080, IPAddress.Parse("2001:db8::1"), 40000)));
        Assert.Equal(33, rec.HandshakeTtl);
        Assert.Equal(46, rec.HandshakeDscp);
        Assert.Equal(0, rec.HandshakeEcn);
        Assert.Equal((ushort)1440, rec.HandshakeMss);
        Assert.Equal((byte)9, rec.HandshakeWindowScale);
    }

    [SkippableFact]
    public void Receive_DataAfterSyn_CountsSegmentsAndPayload()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Options = TcpFrame.LinuxSynOptions(1460, 7) });
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1001 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Psh, Seq = 1001, Payload = 300 });

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.Equal(3ul, rec.PacketsIn);
        Assert.Equal(300ul, rec.BytesIn);
        Assert.Equal(64, rec.HandshakeTtl);
    }

    [SkippableFact]
    public void Receive_GroSuperPacket_CountsEverySegment()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Options = TcpFrame.LinuxSynOptions(1460, 7) });
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1001, Payload = 2400 }, gsoSegs: 3);

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.Equal(4ul, rec.PacketsIn);
        Assert.Equal(2400ul, rec.BytesIn);
    }

    [SkippableFact]
    public void Receive_RetransmittedSyn_KeepsRecordAndCounts()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Seq = 5, Ttl = 40, Options = TcpFrame.LinuxSynOptions(1460, 7) });
        h.Receive(new TcpFrame { Seq = 5, Ttl = 40, Options = TcpFrame.LinuxSynOptions(1460, 7) });

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.Equal(2ul, rec.PacketsIn);
        Assert.Equal(5u, rec.PeerIsn);
    }

    [SkippableFact]
    public void Receive_SynWithNewIsnOnReusedTuple_StartsNewRecord()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Seq = 5, Ttl = 40, Options = TcpFrame.LinuxSynOptions(1460, 7) });
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Psh, Seq = 6, Payload = 100 });
        h.Receive(new TcpFrame { Seq = 90000, Ttl = 50, Options = TcpFrame.LinuxSynOptions(1200, 2) });

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.Equal(1ul, rec.PacketsIn);
        Assert.Equal(0ul, rec.BytesIn);
        Assert.Equal(50, rec.HandshakeTtl);
        Assert.Equal((ushort)1200, rec.HandshakeMss);
        Assert.Equal(90000u, rec.PeerIsn);
    }

    [SkippableFact]
    public void Receive_SynWithoutOptions_RecordsAbsentMssAndScale()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Window = 512 });

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.Null(rec.HandshakeMss);
        Assert.Null(rec.HandshakeWindowScale);
        Assert.Equal("", rec.HandshakeOptions);
        Assert.Equal(512, rec.HandshakeWindow);
    }

    [SkippableFact]
    public void Receive_OptionWithZeroLength_StopsWalkAndFlagsTruncated()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Options = [2, 4, 0x05, 0xb4, 8, 0, 1, 1] });

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.True(rec.Flags.HasFlag(FlowFlags.OptionsTruncated));
        Assert.Equal((ushort)1460, rec.HandshakeMss);
        Assert.Equal("2-8", rec.HandshakeOptions);
    }

    [SkippableFact]
    public void Receive_IPv4WithOptions_ReadsTcpAfterIhl()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { IPv4Options = [1, 1, 1, 0], Ttl = 99, Options = TcpFrame.LinuxSynOptions(1000, 1) });

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.Equal(99, rec.HandshakeTtl);
        Assert.Equal((ushort)1000, rec.HandshakeMss);
    }

    public static TheoryData<string, ProbeStat> Ignored => new()
    {
        { "udp", ProbeStat.NotTcp },
        { "ihl-below-5", ProbeStat.Malformed },
        { "data-offset-below-5", ProbeStat.Malformed },
        { "non-first-fragment", ProbeStat.Fragment },
        { "tcp-header-cut", ProbeStat.Truncated },
        { "ihl-past-total-length", ProbeStat.Malformed },
        { "arp", ProbeStat.NotIp },
        { "ipv6-extension-header", ProbeStat.NotTcp },
    };

    [SkippableTheory]
    [MemberData(nameof(Ignored))]
    public void Receive_PacketWithoutUsableTcpHeader_LeavesNoRecordAndCountsReason(string shape, ProbeStat expected)
    {
        using var h = new Harness();
        byte[] bytes = shape switch
        {
            "udp" => new TcpFrame { Protocol = 17 }.Build(),
            "ihl-below-5" => new TcpFrame { IhlOverride = 4 }.Build(),
            "data-offset-below-5" => new TcpFrame { DataOffsetOverride = 3 }.Build(),
            "non-first-fragment" => new TcpFrame { FragmentField = 0x0010, Flags = Tcp.Ack }.Build(),
            "tcp-header-cut" => new TcpFrame().Build()[..(14 + 20 + 12)],
            "ihl-past-total-length" => new TcpFrame { IhlOverride = 15 }.Build(),
            "arp" => Arp(),
            "ipv6-extension-header" => WithNextHeader(new TcpFrame { Source = IPAddress.Parse("2001:db8::1"), Destination = IPAddress.Parse("2001:db8::2") }.Build(), 0),
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };

        uint kept = h.ReceiveRaw(bytes);

        Assert.True(kept >= (uint)bytes.Length - 14, $"the filter returned {kept}: it must never cut a packet");
        Assert.Equal(0, h.FlowCount);
        Assert.Equal(1ul, h.Stat(expected));
        Assert.Equal(1ul, h.Stat(ProbeStat.Seen));
        Assert.Equal(0ul, h.Stat(ProbeStat.Recorded));
    }

    [SkippableFact]
    public void Receive_Reset_FlagsFlowAndEmitsEvent()
    {
        using var h = new Harness();
        var events = new List<ProbeEvent>();
        using var reader = new RingBufferReader(h.Object.Map("probe_events"), data =>
        {
            if (ProbeEvent.Decode(data) is { } ev)
                lock (events) events.Add(ev);
        });
        h.Receive(new TcpFrame { Options = TcpFrame.LinuxSynOptions(1460, 7) });
        h.Receive(new TcpFrame { Flags = Tcp.Rst | Tcp.Ack, Seq = 1001 });
        SpinWait.SpinUntil(() => { lock (events) return events.Count > 0; }, TimeSpan.FromSeconds(5));
        Thread.Sleep(200); // a second, wrong event would arrive within this

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.True(rec.Flags.HasFlag(FlowFlags.RstIn));
        lock (events)
        {
            ProbeEvent ev = Assert.Single(events);
            Assert.Equal(ProbeEventKind.ResetIn, ev.Kind);
            Assert.Equal(V4Key, ev.Flow);
        }
    }

    [SkippableFact]
    public void Receive_SegmentOfUnknownFlow_CountsWithoutHandshake()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Psh, Payload = 10 });

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.False(rec.HasHandshake);
        Assert.Equal(1ul, rec.PacketsIn);
        Assert.Equal(10ul, rec.BytesIn);
    }

    [SkippableFact]
    public void Receive_FinOfRemovedFlow_IsNotRecorded()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Fin });

        Assert.Equal(0, h.FlowCount);
        Assert.Equal(1ul, h.Stat(ProbeStat.Untracked));
    }

    [SkippableFact]
    public void Receive_MoreFlowsThanTableSize_StaysBounded()
    {
        using var h = new Harness(flowTableSize: 64);
        for (int i = 0; i < 300; i++)
            h.Receive(new TcpFrame { SourcePort = (ushort)(20000 + i), Options = TcpFrame.LinuxSynOptions(1460, 7) });

        Assert.InRange(h.FlowCount, 1, 64);
    }

    private static byte[] Arp()
    {
        byte[] frame = new byte[14 + 28];
        frame[12] = 0x08;
        frame[13] = 0x06;
        return frame;
    }

    private static byte[] WithNextHeader(byte[] frame, byte nextHeader)
    {
        frame[14 + 6] = nextHeader;
        return frame;
    }
}
