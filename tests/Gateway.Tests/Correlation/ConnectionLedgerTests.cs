using System.Net;
using Gateway.Correlation;
using Gateway.Telemetry.Records;
using KernelProbe;

namespace Gateway.Tests.Correlation;

/// <summary>The ledger's rules, and the event router that delivers through it.</summary>
public sealed class ConnectionLedgerTests
{
    private static readonly ConnectionTuple Connection = new(IPAddress.Loopback, 8080, IPAddress.Loopback, 41000);

    private static ProbeEvent ResetOn(ConnectionTuple tuple) => new(ProbeEventKind.ResetIn,
        new FlowKey(tuple.LocalAddress, tuple.LocalPort, tuple.PeerAddress, tuple.PeerPort), TimeNs: 1, TcpFlags: 0x04);

    private static (ConnectionLedger Ledger, WireEventRouter Router, List<WireAnomaly> Anomalies) LedgerWithRouter()
    {
        var ledger = new ConnectionLedger();
        var router = new WireEventRouter(ledger);
        var anomalies = new List<WireAnomaly>();
        router.Anomaly += anomalies.Add;
        return (ledger, router, anomalies);
    }

    [Fact]
    public void Begin_ManyRequestsOnOneConnection_KeepOneEntryUntilTheConnectionCloses()
    {
        var ledger = new ConnectionLedger();

        for (var i = 0; i < 5; i++)
        {
            using var request = ledger.Begin(Connection, new SpanData());
            request.Account(null, null, out _);
            Assert.Equal(1, ledger.Count);
        }

        Assert.Equal(1, ledger.Count);
        Assert.Equal(5, ledger.Forget(Connection));
        Assert.Equal(0, ledger.Count);
    }

    [Fact]
    public void Account_KeepAliveRequests_FirstGetsTheConnectionSoFarAndEachNextWhatMovedSince()
    {
        var ledger = new ConnectionLedger();

        WireRequestDelta? first, second;
        using (var request = ledger.Begin(Connection, new SpanData()))
            request.Account(new WireFacts { PacketsIn = 4, BytesIn = 300, PacketsOut = 3, BytesOut = 500 }, null, out first);
        using (var request = ledger.Begin(Connection, new SpanData()))
            request.Account(new WireFacts { PacketsIn = 6, BytesIn = 700, PacketsOut = 5, BytesOut = 900, RetransmitsOut = 1 }, null, out second);

        Assert.Equal(new WireRequestDelta(4, 3, 300, 500, 0), first);
        Assert.Equal(new WireRequestDelta(2, 2, 400, 400, 1), second);
    }

    [Fact]
    public void Route_WhileARequestIsInFlight_IsItsSpanEvent_AfterItEnds_IsAnAnomaly()
    {
        var (ledger, router, anomalies) = LedgerWithRouter();
        var span = new SpanData();

        var request = ledger.Begin(Connection, span);
        router.Route(ResetOn(Connection));
        request.Dispose();
        request.Dispose();
        router.Route(ResetOn(Connection));

        Assert.True(span.HasEvent(WireEventRouter.EventName(WireEventKinds.Reset)));
        Assert.Single(span.Events());
        var anomaly = Assert.Single(anomalies);
        Assert.Equal(Connection, anomaly.Tuple);
    }

    [Fact]
    public void Forget_WhileARequestIsInFlight_ItsSpanStillGetsTheEventsAndTheEntryGoesWhenItEnds()
    {
        var (ledger, router, anomalies) = LedgerWithRouter();
        var span = new SpanData();

        var request = ledger.Begin(Connection, span);
        ledger.Forget(Connection);
        router.Route(ResetOn(Connection));

        Assert.Single(span.Events());
        Assert.Empty(anomalies);
        Assert.Equal(1, ledger.Count);
        request.Dispose();
        Assert.Equal(0, ledger.Count);
    }

    [Fact]
    public void Account_AfterTheConnectionClosedMidRequest_CountsTheRequestWithoutAddingTheConnectionBack()
    {
        // A pooled upstream connection that broke: the pool closes it before the request records itself.
        var ledger = new ConnectionLedger();
        using (var earlier = ledger.Begin(Connection, new SpanData()))
            earlier.Account(new WireFacts { BytesOut = 100 }, null, out _);

        var request = ledger.Begin(Connection, new SpanData());
        ledger.Forget(Connection);
        request.Dispose();
        var attributes = request.Account(new WireFacts { BytesOut = 160 }, null, out var delta);

        Assert.Equal(0, ledger.Count);
        Assert.Equal(60, delta!.Value.BytesOut);
        Assert.NotNull(attributes.Find("network.peer.port"));
    }

    [Fact]
    public void Dispose_OfAnEarlierRequest_LeavesTheLaterRequestInFlight()
    {
        var (ledger, router, _) = LedgerWithRouter();
        var first = new SpanData();
        var second = new SpanData();

        var earlier = ledger.Begin(Connection, first);
        using var later = ledger.Begin(Connection, second);
        earlier.Dispose();
        router.Route(ResetOn(Connection));

        Assert.Empty(first.Events());
        Assert.Single(second.Events());
    }

    [Fact]
    public void Begin_AfterTheConnectionWasForgotten_MakesANewEntry()
    {
        var (ledger, router, _) = LedgerWithRouter();
        ledger.Begin(Connection, new SpanData()).Dispose();
        ledger.Forget(Connection);

        var span = new SpanData();
        using var request = ledger.Begin(Connection, span);
        router.Route(ResetOn(Connection));

        Assert.Equal(1, ledger.Count);
        Assert.Single(span.Events());
    }

    [Fact]
    public void Begin_OnATupleReusedWhileTheOldConnectionsRequestIsInFlight_StartsAFreshCount()
    {
        var ledger = new ConnectionLedger();
        var old = ledger.Begin(Connection, new SpanData());
        old.Account(new WireFacts { BytesIn = 1000 }, null, out _);
        ledger.Forget(Connection);

        using var fresh = ledger.Begin(Connection, new SpanData());
        fresh.Account(new WireFacts { BytesIn = 80 }, null, out var delta);
        old.Dispose();

        Assert.Equal(80, delta!.Value.BytesIn);
        Assert.Equal(1, ledger.Count);
        Assert.Equal(1, ledger.Forget(Connection));
    }
}
