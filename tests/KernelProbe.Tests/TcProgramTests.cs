using System.Net;

namespace KernelProbe.Tests;

/// <summary>The TC egress program run in the kernel on crafted frames.</summary>
public sealed class TcProgramTests
{
    // The gateway's view: it is 198.18.0.2:8080, the client 198.18.0.1:40000.
    private static readonly FlowKey Downstream = new(IPAddress.Parse("198.18.0.2"), 8080, IPAddress.Parse("198.18.0.1"), 40000);

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

    [SkippableFact]
    public void Send_SegmentOfFlowTheGatewayOwns_CountsOut()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Options = TcpFrame.LinuxSynOptions(1460, 7) });
        h.Send(FromGateway(Tcp.Syn | Tcp.Ack, seq: 4242));
        h.Send(FromGateway(Tcp.Ack | Tcp.Psh, seq: 4243, payload: 700));

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(Downstream));
        Assert.Equal(2ul, rec.PacketsOut);
        Assert.Equal(700ul, rec.BytesOut);
        Assert.Equal(4242u, rec.LocalIsn);
        Assert.Equal(1ul, rec.PacketsIn);
    }

    [SkippableFact]
    public void Turn_RequestResponseRequest_KeepsTheCountersWhereTheSecondRequestBegan()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Seq = 1000, Options = TcpFrame.LinuxSynOptions(1460, 7) });
        h.Send(FromGateway(Tcp.Syn | Tcp.Ack, seq: 4242));
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1001 });
        // Request 1 in two segments, response 1, the client's ACK, then request 2 in two segments.
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1001, Payload = 300 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Psh, Seq = 1301, Payload = 200 });
        h.Send(FromGateway(Tcp.Ack, seq: 4243, payload: 1400), gsoSegs: 2);
        h.Send(FromGateway(Tcp.Ack | Tcp.Psh, seq: 5643, payload: 100));
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1501 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1501, Payload = 100 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Psh, Seq = 1601, Payload = 40 });
        h.Send(FromGateway(Tcp.Ack | Tcp.Psh, seq: 5743, payload: 50));

        FlowView flow = h.View(Downstream);
        Assert.Equal(1u, flow.Turns);
        Assert.Equal(new FlowTurn(DataPacketsIn: 2, BytesIn: 500, DataPacketsOut: 3, BytesOut: 1500, RetransmitsOut: 0, ReceivedOffset: 500, SentOffset: 1500), flow.Turn);
        Assert.Equal(4ul, flow.DataPacketsIn);
        Assert.Equal(4ul, flow.DataPacketsOut);
        Assert.Equal(640u, flow.ReceivedOffset);
        Assert.Equal(1550u, flow.SentOffset);
        Assert.Equal(7ul, flow.PacketsIn);
    }

    [SkippableFact]
    public void AckedOffset_PeersAcknowledgments_IsTheHighestOneAnAcknowledgmentOfAnOlderByteDoesNotLowerIt()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Seq = 1000, Options = TcpFrame.LinuxSynOptions(1460, 7) });
        h.Send(FromGateway(Tcp.Syn | Tcp.Ack, seq: 4242));
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1001, Ack = 4243 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Psh, Seq = 1001, Ack = 4243, Payload = 80 });
        h.Send(FromGateway(Tcp.Ack | Tcp.Psh, seq: 4243, payload: 1000));
        Assert.Equal(0u, h.View(Downstream).AckedOffset);
        // The client acknowledges the response's first 600 bytes, then all of it; a late copy of the first arrives last.
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1081, Ack = 4843 });
        Assert.Equal(600u, h.View(Downstream).AckedOffset);
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1081, Ack = 5243 });
        h.Receive(new TcpFrame { Flags = Tcp.Ack, Seq = 1081, Ack = 4843 });

        FlowView flow = h.View(Downstream);
        Assert.Equal(1000u, flow.AckedOffset);
        Assert.Equal(1000u, flow.SentOffset);
    }

    [SkippableFact]
    public void SentOffset_AfterTheGatewaysFin_IsStillTheEndOfItsLastPayloadByte()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Seq = 1000, Options = TcpFrame.LinuxSynOptions(1460, 7) });
        h.Send(FromGateway(Tcp.Syn | Tcp.Ack, seq: 4242));
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Psh, Seq = 1001, Payload = 80 });
        h.Send(FromGateway(Tcp.Ack | Tcp.Psh, seq: 4243, payload: 566));
        // The client closes once it has the response (curl), and so does the gateway.
        h.Receive(new TcpFrame { Flags = Tcp.Ack | Tcp.Fin, Seq = 1081 });
        Assert.Equal(566u, h.View(Downstream).SentOffset);
        h.Send(FromGateway(Tcp.Ack | Tcp.Fin, seq: 4809));

        FlowView flow = h.View(Downstream);
        Assert.True(flow.Flags.HasFlag(FlowFlags.FinOut));
        Assert.Equal(566u, flow.SentOffset);
        Assert.Equal(80u, flow.ReceivedOffset);
    }

    [SkippableFact]
    public void Send_GsoSuperPacket_CountsEverySegment()
    {
        using var h = new Harness();
        h.Receive(new TcpFrame { Options = TcpFrame.LinuxSynOptions(1460, 7) });
        h.Send(FromGateway(Tcp.Ack, payload: 3000), gsoSegs: 6);

        FlowRecord rec = Assert.IsType<FlowRecord>(h.Flow(Downstream));
        Assert.Equal(6ul, rec.PacketsOut);
        Assert.Equal(3000ul, rec.BytesOut);
    }

    [SkippableFact]
    public void Send_SegmentOfForeignFlow_IsIgnored()
    {
        using var h = new Harness();
        h.Send(FromGateway(Tcp.Ack | Tcp.Psh, payload: 100));

        Assert.Equal(0, h.FlowCount);
        Assert.Equal(1ul, h.Stat(ProbeStat.NotOurs));
    }

    [SkippableFact]
    public void Send_SynOfUnregisteredSocket_IsIgnored()
    {
        using var h = new Harness();
        h.Send(FromGateway(Tcp.Syn));

        Assert.Equal(0, h.FlowCount);
        Assert.Equal(1ul, h.Stat(ProbeStat.NotOurs));
    }

    [SkippableFact]
    public void Send_MalformedFrame_PassesUnchanged()
    {
        using var h = new Harness();
        // test-run itself refuses frames shorter than an IP header; cut inside TCP.
        byte[] cut = FromGateway(Tcp.Ack).Build()[..(14 + 20 + 10)];
        TestRunResult result = h.Tc.TestRun(cut);

        Assert.Equal(unchecked((uint)-1), result.ReturnValue);
        Assert.Equal(cut, result.DataOut);
        Assert.Equal(1ul, h.Stat(ProbeStat.Truncated));
    }
}
