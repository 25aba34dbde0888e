using System.Net;
using Gateway.Correlation;
using Gateway.Forwarding;
using Gateway.Telemetry.Records;

namespace Gateway.Tests.Forwarding;

public sealed class UpstreamAttemptTests
{
    private static readonly ConnectionTuple First = new(IPAddress.Loopback, 40000, IPAddress.Loopback, 5080);
    private static readonly ConnectionTuple Second = new(IPAddress.Loopback, 40001, IPAddress.Loopback, 5080);

    private static KernelProbe.ProbeEvent ResetOn(ConnectionTuple tuple) => new(KernelProbe.ProbeEventKind.ResetIn,
        new KernelProbe.FlowKey(tuple.LocalAddress, tuple.LocalPort, tuple.PeerAddress, tuple.PeerPort), TimeNs: 1, TcpFlags: 0x04);

    [Fact]
    public void Stamp_BeforeSeal_IsTheAnswer()
    {
        var attempt = new UpstreamAttempt();

        attempt.Stamp(First);
        attempt.Seal();

        Assert.Equal(First, attempt.Tuple);
        Assert.False(attempt.Multiplexed);
    }

    [Fact]
    public void Stamp_AfterSeal_IsIgnored()
    {
        var attempt = new UpstreamAttempt();
        attempt.Stamp(First);
        attempt.Seal();

        attempt.Stamp(Second);
        attempt.SetStatusCode(500);
        attempt.ConnectFailed(new FailedConnect(Second, UpstreamErrors.ConnectionRefused, Environment.TickCount64));

        Assert.Equal(First, attempt.Tuple);
        Assert.Null(attempt.StatusCode);
        Assert.Null(attempt.FailedConnect);
    }

    [Fact]
    public void Stamp_WithASpan_MarksItInFlightOnTheConnectionOnce()
    {
        var ledger = new ConnectionLedger();
        var (router, span) = (new WireEventRouter(ledger), new SpanData());
        var attempt = new UpstreamAttempt(ledger, span);
        object stream = new();

        attempt.Stamp(First, stream);
        attempt.Stamp(First, stream);
        router.Route(ResetOn(First));
        attempt.Seal();
        router.Route(ResetOn(First));

        Assert.Single(span.Events());
        Assert.Equal(1, ledger.Count);
    }

    [Fact]
    public void Join_Http2_NamesTheConnectionWithoutRoutingItsEventsToTheSpan()
    {
        var ledger = new ConnectionLedger();
        var (router, span) = (new WireEventRouter(ledger), new SpanData());
        var attempt = new UpstreamAttempt(ledger, span);

        attempt.Join(First, by: null, HttpVersion.Version20);
        router.Route(ResetOn(First));
        attempt.Seal();

        Assert.Equal(First, attempt.Tuple);
        Assert.True(attempt.Multiplexed);
        Assert.Empty(span.Events());
        // The connection is counted (its requests), until it closes.
        Assert.Equal(1, ledger.Count);
        Assert.Equal(0, ledger.Forget(First));
    }

    [Fact]
    public async Task Current_SetByRunAsync_FlowsIntoAwaitedWorkAndRevertsAfter()
    {
        var attempt = new UpstreamAttempt();
        UpstreamAttempt? inside = null;

        async Task Forward()
        {
            UpstreamAttempt.Begin(attempt);
            await Task.Run(() => inside = UpstreamAttempt.Current);
        }

        await Forward();

        Assert.Same(attempt, inside);
        Assert.Null(UpstreamAttempt.Current);
    }
}
