using System.Net;

namespace KernelProbe.Tests;

/// <summary>
/// The packet suite: crafted frames, each run through the program in the
/// kernel, each with the exact flow-record change it must cause, or the fact
/// that it must cause none (and which counter says why).
/// </summary>
public sealed class PacketSuiteTests
{
    private static readonly IPAddress V6Client = IPAddress.Parse("2001:db8::1");
    private static readonly IPAddress V6Gateway = IPAddress.Parse("2001:db8::2");
    private static readonly FlowKey V4Key = new(IPAddress.Parse("198.18.0.2"), 8080, IPAddress.Parse("198.18.0.1"), 40000);
    private static readonly FlowKey V6Key = new(V6Gateway, 8080, V6Client, 40000);

    private static TcpFrame Syn => new() { Options = TcpFrame.LinuxSynOptions(1460, 7) };

    private static TcpFrame Syn6 => new() { Source = V6Client, Destination = V6Gateway, Options = TcpFrame.LinuxSynOptions(1440, 7) };

    /// <summary>Frames that must leave no record, with the counter that explains why.</summary>
    public static TheoryData<string, byte[], ProbeStat> Unusable()
    {
        var data = new TheoryData<string, byte[], ProbeStat>();
        byte[] syn = Syn.Build();
        // The TCP header cut at every boundary of its fixed part.
        foreach (int keep in new[] { 0, 1, 2, 4, 8, 12, 13, 14, 16, 18, 19 })
            data.Add($"tcp-header-cut-at-{keep}", syn[..(14 + 20 + keep)], ProbeStat.Truncated);
        for (byte ihl = 0; ihl < 5; ihl++)
            data.Add($"ihl-{ihl}", new TcpFrame { IhlOverride = ihl }.Build(), ProbeStat.Malformed);
        data.Add("ihl-past-total-length", new TcpFrame { IhlOverride = 15 }.Build(), ProbeStat.Malformed);
        data.Add("ipv4-version-6-in-ipv4-frame", new TcpFrame { Version = 6 }.Build(), ProbeStat.Malformed);
        for (byte doff = 0; doff < 5; doff++)
            data.Add($"data-offset-{doff}", new TcpFrame { DataOffsetOverride = doff }.Build(), ProbeStat.Malformed);
        data.Add("data-offset-past-packet", new TcpFrame { DataOffsetOverride = 15, Flags = Tcp.Ack }.Build(), ProbeStat.Malformed);
        data.Add("ipv4-non-first-fragment", new TcpFrame { FragmentField = 0x0001, Flags = Tcp.Ack }.Build(), ProbeStat.Fragment);
        data.Add("ipv4-last-fragment", new TcpFrame { FragmentField = 0x00b9, Flags = Tcp.Ack }.Build(), ProbeStat.Fragment);
        data.Add("icmp", new TcpFrame { Protocol = 1 }.Build(), ProbeStat.NotTcp);
        data.Add("udp", new TcpFrame { Protocol = 17 }.Build(), ProbeStat.NotTcp);
        data.Add("icmpv6", new TcpFrame { Source = V6Client, Destination = V6Gateway, Protocol = 58 }.Build(), ProbeStat.NotTcp);
        data.Add("arp", Arp(), ProbeStat.NotIp);
        data.Add("arp-in-vlan", new TcpFrame { VlanTpids = [0x8100], EtherTypeOverride = 0x0806 }.Build(), ProbeStat.NotIp);
        data.Add("three-vlan-tags", new TcpFrame { VlanTpids = [0x88a8, 0x8100, 0x8100] }.Build(), ProbeStat.NotIp);
        data.Add("ipv6-non-first-fragment", (Syn6 with { IPv6Extensions = [(44, 8, 0x0008)] }).Build(), ProbeStat.Fragment);
        data.Add("ipv6-esp", new TcpFrame { Source = V6Client, Destination = V6Gateway, Protocol = 50 }.Build(), ProbeStat.NotTcp);
        data.Add("ipv6-no-next-header", new TcpFrame { Source = V6Client, Destination = V6Gateway, Protocol = 59 }.Build(), ProbeStat.NotTcp);
        data.Add("ipv6-chain-of-nine", (Syn6 with { IPv6Extensions = Enumerable.Repeat(((byte)60, 8, (ushort)0), 9).ToArray() }).Build(), ProbeStat.IPv6ChainTooLong);
        byte[] cutChain = (Syn6 with { IPv6Extensions = [(0, 8, 0), (60, 16, 0)] }).Build();
        data.Add("ipv6-extension-header-cut", cutChain[..(14 + 40 + 8 + 2)], ProbeStat.Truncated);
        data.Add("ipv6-version-4-in-ipv6-frame", (Syn6 with { Version = 4 }).Build(), ProbeStat.Malformed);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Unusable))]
    public void Receive_UnusableFrame_LeavesNoRecordAndCountsWhy(string shape, byte[] frame, ProbeStat expected)
    {
        using var h = new Harness();

        uint kept = h.ReceiveRaw(frame);
        h.Tc.TestRun(frame);

        Assert.True(kept >= (uint)frame.Length - 14 || kept == uint.MaxValue, $"{shape}: the filter returned {kept} for a {frame.Length}-byte frame: it must never cut one");
        Assert.Equal(0, h.FlowCount);
        Assert.Equal(2ul, h.Stat(expected));
        Assert.Equal(0ul, h.Stat(ProbeStat.Recorded));
    }

    /// <summary>Handshakes behind encapsulation the programs must see through.</summary>
    public static TheoryData<string, byte[], bool, ProbeStat?> Encapsulated() => new()
    {
        { "vlan-8021q", (Syn with { VlanTpids = [0x8100] }).Build(), false, ProbeStat.Vlan },
        { "qinq-8021ad-8021q", (Syn with { VlanTpids = [0x88a8, 0x8100] }).Build(), false, ProbeStat.Vlan },
        { "ipv6-in-vlan", (Syn6 with { VlanTpids = [0x8100] }).Build(), true, ProbeStat.Vlan },
        { "ipv4-options", (Syn with { IPv4Options = [1, 1, 1, 0] }).Build(), false, null },
        { "ipv4-first-fragment-more-follow", (Syn with { FragmentField = 0x2000 }).Build(), false, null },
        { "ipv6-hop-by-hop", (Syn6 with { IPv6Extensions = [(0, 8, 0)] }).Build(), true, ProbeStat.IPv6Extensions },
        { "ipv6-hbh-dst-routing", (Syn6 with { IPv6Extensions = [(0, 8, 0), (60, 16, 0), (43, 24, 0)] }).Build(), true, ProbeStat.IPv6Extensions },
        { "ipv6-first-fragment", (Syn6 with { IPv6Extensions = [(44, 8, 0x0001)] }).Build(), true, ProbeStat.IPv6Extensions },
        { "ipv6-authentication-header", (Syn6 with { IPv6Extensions = [(51, 16, 0)] }).Build(), true, ProbeStat.IPv6Extensions },
        { "ipv6-chain-of-eight", (Syn6 with { IPv6Extensions = Enumerable.Repeat(((byte)60, 8, (ushort)0), 8).ToArray() }).Build(), true, ProbeStat.IPv6Extensions },
    };

    [SkippableTheory]
    [MemberData(nameof(Encapsulated))]
    public void Receive_EncapsulatedSyn_RecordsHandshakeUnderInnerTuple(string shape, byte[] frame, bool v6, ProbeStat? counted)
    {
        using var h = new Harness();

        h.ReceiveRaw(frame);

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(v6 ? V6Key : V4Key));
        Assert.True(rec.HasHandshake, shape);
        Assert.Equal((ushort)(v6 ? 1440 : 1460), rec.HandshakeMss);
        Assert.Equal("2-4-8-1-3", rec.HandshakeOptions);
        Assert.Equal(1ul, rec.PacketsIn);
        Assert.Equal(0ul, rec.BytesIn);
        Assert.Equal(1, h.FlowCount);
        if (counted is { } stat)
            Assert.Equal(1ul, h.Stat(stat));
    }

    /// <summary>Option lists, well-formed and not, and exactly what is recorded of each.</summary>
    public static TheoryData<string, byte[], string, int?, int?, bool> OptionLists() => new()
    {
        { "linux", TcpFrame.LinuxSynOptions(1460, 7), "2-4-8-1-3", 1460, 7, false },
        { "mss-only", [2, 4, 0x05, 0xb4], "2", 1460, null, false },
        { "eol-in-the-middle", [2, 4, 0x05, 0xb4, 0, 1, 1, 1, 3, 3, 7, 1], "2-0", 1460, null, false },
        { "nop-padding-only", [1, 1, 1, 1], "1-1-1-1", null, null, false },
        { "zero-length-option", [2, 4, 0x05, 0xb4, 4, 0, 1, 1], "2-4", 1460, null, true },
        { "length-one-option", [3, 1, 1, 1], "3", null, null, true },
        { "length-past-area", [1, 8, 40, 0, 0], "1-8", null, null, true },
        { "kind-without-length-at-end", [1, 1, 1, 2], "1-1-1-2", null, null, true },
        { "mss-with-wrong-length", [2, 3, 5, 1, 3, 3, 2, 1], "2-1-3-1", null, 2, false },
        { "wscale-with-wrong-length", [3, 4, 7, 0, 2, 4, 0x04, 0x00], "3-2", 1024, null, false },
        { "forty-nops", Enumerable.Repeat((byte)1, 40).ToArray(), string.Join('-', Enumerable.Repeat("1", 16)), null, null, true },
        { "unknown-kinds-kept-in-order", [30, 4, 0, 0, 2, 4, 0x02, 0x18, 254, 2, 1, 1], "30-2-254-1-1", 536, null, false },
    };

    [SkippableTheory]
    [MemberData(nameof(OptionLists))]
    public void Receive_SynOptionList_RecordsExactly(string shape, byte[] options, string kinds, int? mss, int? wscale, bool truncated)
    {
        using var h = new Harness();
        byte[] padded = [.. options, .. new byte[(4 - options.Length % 4) % 4]];

        h.Receive(new TcpFrame { Options = padded });

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.True(rec.HasHandshake, shape);
        Assert.Equal(kinds, rec.HandshakeOptions);
        Assert.Equal(mss, (int?)rec.HandshakeMss);
        Assert.Equal(wscale, (int?)rec.HandshakeWindowScale);
        Assert.Equal(truncated, rec.Flags.HasFlag(FlowFlags.OptionsTruncated));
    }

    [SkippableTheory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(11)]
    public void Receive_SynWhoseOptionsAreCut_KeepsHandshakeWithoutOptions(int optionBytesPresent)
    {
        using var h = new Harness();
        byte[] frame = (Syn with { Options = [.. TcpFrame.LinuxSynOptions(1460, 7)] }).Build();

        h.ReceiveRaw(frame[..(14 + 20 + 20 + optionBytesPresent)]);

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(V4Key));
        Assert.True(rec.HasHandshake);
        Assert.True(rec.Flags.HasFlag(FlowFlags.OptionsTruncated));
        Assert.Equal("", rec.HandshakeOptions);
        Assert.Null(rec.HandshakeMss);
        Assert.Equal(1ul, h.Stat(ProbeStat.Truncated));
    }

    [SkippableTheory]
    [InlineData(0x4000, true)]
    [InlineData(0x0000, false)]
    public void Receive_SynDontFragmentBit_IsRecorded(ushort fragmentField, bool df)
    {
        using var h = new Harness();
        h.Receive(Syn with { FragmentField = fragmentField });

        Assert.Equal(df, h.Flow(V4Key)!.HandshakeDontFragment);
    }

    [SkippableFact]
    public void Receive_TtlChangesMidConnection_CountsEachChangeAndEmitsEvents()
    {
        using var h = new Harness();
        var events = h.CollectEvents();
        h.Receive(Syn with { Ttl = 64 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Ttl = 64, Seq = 1001 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Psh, Ttl = 51, Seq = 1001, Payload = 10 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Psh, Ttl = 51, Seq = 1011, Payload = 10 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Ttl = 64, Seq = 1021 });

        FlowRecord rec = h.Flow(V4Key)!;
        Assert.Equal(2u, rec.TtlChanges);
        Assert.Equal(64, rec.LastTtl);
        Assert.Equal(64, rec.HandshakeTtl);
        ProbeEvent[] changes = events.WaitFor(2).Where(e => e.Kind == ProbeEventKind.TtlChange).ToArray();
        Assert.Equal([(64, 51), (51, 64)], changes.Select(e => ((int)e.PreviousTtl, (int)e.Ttl)));
    }

    [SkippableFact]
    public void Receive_PeerZeroWindow_CountsEpisodesNotSegments()
    {
        using var h = new Harness();
        h.Receive(Syn);
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Window = 0, Seq = 1001 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Window = 0, Seq = 1001 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Window = 300, Seq = 1001 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Window = 0, Seq = 1001 });

        FlowRecord rec = h.Flow(V4Key)!;
        Assert.Equal(2u, rec.ZeroWindowIn);
        Assert.Equal(0u, rec.ZeroWindowOut);
        Assert.Equal(5ul, rec.PacketsIn);
    }

    [SkippableFact]
    public void Send_SegmentBelowHighestSent_CountsRetransmissionPerSegment()
    {
        using var h = new Harness();
        var events = h.CollectEvents();
        h.Receive(Syn);
        h.Send(FromGateway(Tcp.Syn | Tcp.Ack, seq: 5000));
        h.Send(FromGateway(Tcp.Ack | Tcp.Psh, seq: 5001, payload: 100));
        h.Send(FromGateway(Tcp.Ack | Tcp.Psh, seq: 5101, payload: 100));
        h.Send(FromGateway(Tcp.Ack | Tcp.Psh, seq: 5001, payload: 100));
        h.Send(FromGateway(Tcp.Ack | Tcp.Psh, seq: 5001, payload: 200), gsoSegs: 2);
        h.Send(FromGateway(Tcp.Ack, seq: 5201));

        FlowRecord rec = h.Flow(V4Key)!;
        Assert.Equal(3ul, rec.RetransmitsOut);
        Assert.Equal(7ul, rec.PacketsOut);
        Assert.Equal(2, events.WaitFor(2).Count(e => e.Kind == ProbeEventKind.Retransmit));
    }

    [SkippableFact]
    public void Send_SynAckAgain_CountsRetransmission()
    {
        using var h = new Harness();
        h.Receive(Syn);
        h.Send(FromGateway(Tcp.Syn | Tcp.Ack, seq: 5000));
        h.Send(FromGateway(Tcp.Syn | Tcp.Ack, seq: 5000));

        FlowRecord rec = h.Flow(V4Key)!;
        Assert.Equal(1ul, rec.RetransmitsOut);
        Assert.Equal(5000u, rec.LocalIsn);
    }

    [SkippableFact]
    public void Send_GatewayZeroWindow_CountsEpisode()
    {
        using var h = new Harness();
        h.Receive(Syn);
        h.Send(FromGateway(Tcp.Ack, seq: 5001) with { Window = 0 });

        Assert.Equal(1u, h.Flow(V4Key)!.ZeroWindowOut);
    }

    [SkippableTheory]
    [InlineData(5001u, true)]
    [InlineData(7777u, false)]
    public void Receive_AckOfSynAck_MeasuresHandshakeRttOnlyWhenItAcksOurIsn(uint ack, bool measured)
    {
        using var h = new Harness();
        h.Receive(Syn);
        h.Send(FromGateway(Tcp.Syn | Tcp.Ack, seq: 5000));
        Thread.Sleep(5);
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1001, Ack = ack });

        FlowRecord rec = h.Flow(V4Key)!;
        Assert.True(rec.Flags.HasFlag(FlowFlags.Established));
        if (measured)
            Assert.InRange(rec.HandshakeRttUs!.Value, 4_000u, 2_000_000u);
        else
            Assert.Null(rec.HandshakeRttUs);
    }

    [SkippableTheory]
    [InlineData(true, ConnectionCloser.Peer)]
    [InlineData(false, ConnectionCloser.Gateway)]
    public void FinOrReset_FirstCloser_IsRecorded(bool peerFirst, ConnectionCloser expected)
    {
        using var h = new Harness();
        h.Receive(Syn);
        if (peerFirst)
        {
            h.Receive(new TcpFrame { Flags = Tcp.Fin | Tcp.Ack, Seq = 1001 });
            h.Send(FromGateway(Tcp.Rst, seq: 5001));
        }
        else
        {
            h.Send(FromGateway(Tcp.Rst, seq: 5001));
            h.Receive(new TcpFrame { Flags = Tcp.Fin | Tcp.Ack, Seq = 1001 });
        }

        FlowRecord rec = h.Flow(V4Key)!;
        Assert.Equal(expected, rec.ClosedBy);
        Assert.Equal(ConnectionCloser.Gateway, rec.ResetBy);
    }

    [SkippableFact]
    public void Receive_AcceptedSyn_IsPendingUntilThePeersAck()
    {
        using var h = new Harness();
        h.Receive(Syn);
        Assert.Equal(1, h.PendingCount);

        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1001, Ack = 1 });

        Assert.Equal(0, h.PendingCount);
    }

    [Fact]
    public void Fingerprint_OfHandshake_FollowsJa4tLayout()
    {
        var rec = new FlowRecord
        {
            Flags = FlowFlags.Handshake | FlowFlags.Mss | FlowFlags.WindowScale,
            HandshakeWindow = 64240,
            HandshakeMss = 1460,
            HandshakeWindowScale = 7,
            HandshakeOptionKinds = [2, 4, 8, 1, 3],
        };
        var bare = new FlowRecord { Flags = FlowFlags.Handshake, HandshakeWindow = 1024 };

        Assert.Equal("64240_2-4-8-1-3_1460_7", rec.Ja4t);
        Assert.Equal("1024_0_0_0", bare.Ja4t);
        Assert.Null(new FlowRecord().Ja4t);
    }

    private static TcpFrame FromGateway(byte flags, uint seq = 500, int payload = 0) => new()
    {
        Source = IPAddress.Parse("198.18.0.2"),
        Destination = IPAddress.Parse("198.18.0.1"),
        SourcePort = 8080,
        DestinationPort = 40000,
        Flags = flags,
        Seq = seq,
        Payload = payload,
    };

    private static byte[] Arp()
    {
        byte[] frame = new byte[14 + 28];
        frame[12] = 0x08;
        frame[13] = 0x06;
        return frame;
    }
}
