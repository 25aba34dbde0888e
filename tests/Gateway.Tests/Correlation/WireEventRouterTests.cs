using System.Net;
using Gateway.Correlation;
using Gateway.Telemetry.Records;
using KernelProbe;

namespace Gateway.Tests.Correlation;

public sealed class WireEventRouterTests
{
    private static readonly ConnectionTuple Connection = new(IPAddress.Loopback, 8080, IPAddress.Loopback, 41000);

    private static ProbeEvent ResetOn(ConnectionTuple tuple) => new(ProbeEventKind.ResetIn,
        new FlowKey(tuple.LocalAddress, tuple.LocalPort, tuple.PeerAddress, tuple.PeerPort), TimeNs: 1, TcpFlags: 0x04);

    private static (WireEventRouter Router, List<WireAnomaly> Anomalies) RouterWithAnomalies()
    {
        var router = new WireEventRouter();
        var anomalies = new List<WireAnomaly>();
        router.Anomaly += anomalies.Add;
        return (router, anomalies);
    }

    [Fact]
    public void Track_ManyRequestsOnOneConnection_KeepOneEntryUntilTheConnectionCloses()
    {
        var router = new WireEventRouter();

        for (var i = 0; i < 5; i++)
        {
            using var tracking = router.Track(Connection, new SpanData());
            Assert.Equal(1, router.Connections);
        }

        Assert.Equal(1, router.Connections);
        router.Forget(Connection);
        Assert.Equal(0, router.Connections);
    }

    [Fact]
    public void Route_WhileARequestIsTracked_IsItsSpanEvent_AfterItEnds_IsAnAnomaly()
    {
        var (router, anomalies) = RouterWithAnomalies();
        var span = new SpanData();

        var tracking = router.Track(Connection, span);
        router.Route(ResetOn(Connection));
        tracking.Dispose();
        tracking.Dispose();
        router.Route(ResetOn(Connection));

        Assert.True(span.HasEvent(WireEventRouter.EventName(WireEventKinds.Reset)));
        Assert.Single(span.Events());
        var anomaly = Assert.Single(anomalies);
        Assert.Equal(Connection, anomaly.Tuple);
    }

    [Fact]
    public void Forget_WhileARequestIsInFlight_ItsSpanStillGetsTheEventsAndTheEntryGoesWhenItEnds()
    {
        var (router, anomalies) = RouterWithAnomalies();
        var span = new SpanData();

        var tracking = router.Track(Connection, span);
        router.Forget(Connection);
        router.Route(ResetOn(Connection));

        Assert.Single(span.Events());
        Assert.Empty(anomalies);
        Assert.Equal(1, router.Connections);
        tracking.Dispose();
        Assert.Equal(0, router.Connections);
    }

    [Fact]
    public void Dispose_OfAnEarlierRequest_LeavesTheLaterRequestTracked()
    {
        var router = new WireEventRouter();
        var first = new SpanData();
        var second = new SpanData();

        var earlier = router.Track(Connection, first);
        using var later = router.Track(Connection, second);
        earlier.Dispose();
        router.Route(ResetOn(Connection));

        Assert.Empty(first.Events());
        Assert.Single(second.Events());
    }

    [Fact]
    public void Track_AfterTheConnectionWasForgotten_MakesANewEntry()
    {
        var router = new WireEventRouter();
        router.Track(Connection, new SpanData()).Dispose();
        router.Forget(Connection);

        var span = new SpanData();
        using var tracking = router.Track(Connection, span);
        router.Route(ResetOn(Connection));

        Assert.Equal(1, router.Connections);
        Assert.Single(span.Events());
    }
}
