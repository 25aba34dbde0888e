using System.Diagnostics;
using System.Net;
using Gateway.Correlation;
using Gateway.Telemetry.Records;
using KernelProbe;
using Gateway.Tests.Support;

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
            request.Account(null, null, null, out _);
            Assert.Equal(1, ledger.Count);
        }

        Assert.Equal(1, ledger.Count);
        Assert.Equal(5, ledger.Forget(Connection));
        Assert.Equal(0, ledger.Count);
    }

    // The flow as the kernel shows it: counters, and the stream offsets it has received and sent up to.
    private static WireFacts Flow(long dataIn, long bytesIn, long dataOut, long bytesOut, long retransmits = 0, uint? received = null, uint? sent = null,
        uint turns = 0, FlowTurn turn = default, uint? acked = null) => new()
    {
        AckedOffset = acked,
        DataPacketsIn = dataIn,
        BytesIn = bytesIn,
        DataPacketsOut = dataOut,
        BytesOut = bytesOut,
        RetransmitsOut = retransmits,
        ReceivedOffset = received ?? (uint)bytesIn,
        SentOffset = sent ?? (uint)bytesOut,
        PacketsIn = dataIn + 2,
        PacketsOut = dataOut + 2,
        Turns = turns,
        Turn = turn,
    };

    private static WireRequestShare Account(ConnectionLedger ledger, WireFacts? facts, StreamEnds ends, IWireView? view = null, bool answers = true)
    {
        using var request = ledger.Begin(Connection, new SpanData(), view: view, answers: answers);
        request.Account(facts, null, ends, out var share);
        return share;
    }

    // One request on a connection whose response has left: it waits (see the next tests) until someone settles it.
    private static (WireRequestShare AtItsEnd, RecordingWaiter Waiter) Waiting(ConnectionLedger ledger, WireFacts facts, StreamEnds ends, IWireView? view = null)
    {
        var request = ledger.Begin(Connection, new SpanData(), view: view);
        request.Account(facts, null, ends, out var share);
        var waiter = new RecordingWaiter(ends);
        request.Wait(waiter);
        request.Dispose();
        return (share, waiter);
    }

    [Fact]
    public void Account_KeepAliveRequests_EachWaitsForTheNextOrTheClose_ThenGetsWhatMovedInItsWindow()
    {
        var ledger = ManualLedger();
        var (firstAtEnd, first) = Waiting(ledger, Flow(dataIn: 2, bytesIn: 300, dataOut: 1, bytesOut: 500), new StreamEnds(300, 500));
        // The second request arrives: the turn kept the counters where the first ended.
        var turn = new FlowTurn(DataPacketsIn: 2, BytesIn: 300, DataPacketsOut: 1, BytesOut: 500, RetransmitsOut: 0, ReceivedOffset: 300, SentOffset: 500);
        using var view = new Support.RecordingWireView(Flow(dataIn: 3, bytesIn: 400, dataOut: 1, bytesOut: 500, turns: 1, turn: turn));
        var (secondAtEnd, second) = Waiting(ledger, Flow(dataIn: 3, bytesIn: 700, dataOut: 2, bytesOut: 900, retransmits: 1, turns: 1, turn: turn),
            new StreamEnds(700, 900), view);

        ledger.Forget(Connection, Flow(dataIn: 3, bytesIn: 700, dataOut: 2, bytesOut: 900, retransmits: 1, turns: 1, turn: turn));

        Assert.True(firstAtEnd.Pending);
        Assert.True(secondAtEnd.Pending);
        Assert.Equal(new WireRequestShare(new WireRequestDelta(2, 1, 300, 500, 0), null, false), Assert.Single(first.Settled).Share);
        Assert.Equal(new WireRequestShare(new WireRequestDelta(1, 1, 400, 400, 1), null, false), Assert.Single(second.Settled).Share);
    }

    [Fact]
    public void Account_NextRequestArrivedAlready_EndsWhereItsTurnBegan()
    {
        var ledger = ManualLedger();
        // The client had the whole response and sent 150 bytes of its next request before the record was built.
        var turn = new FlowTurn(DataPacketsIn: 2, BytesIn: 300, DataPacketsOut: 1, BytesOut: 500, RetransmitsOut: 0, ReceivedOffset: 300, SentOffset: 500);
        var (atEnd, first) = Waiting(ledger, Flow(dataIn: 3, bytesIn: 450, dataOut: 1, bytesOut: 500, turns: 1, turn: turn), new StreamEnds(300, 500));
        using var view = new Support.RecordingWireView(Flow(dataIn: 4, bytesIn: 600, dataOut: 1, bytesOut: 500, turns: 1, turn: turn));
        var (_, second) = Waiting(ledger, Flow(dataIn: 4, bytesIn: 600, dataOut: 2, bytesOut: 800, turns: 1, turn: turn), new StreamEnds(600, 800), view);
        ledger.Forget(Connection, Flow(dataIn: 4, bytesIn: 600, dataOut: 2, bytesOut: 800, turns: 1, turn: turn));

        Assert.True(atEnd.Pending);
        Assert.Equal(new WireRequestDelta(2, 1, 300, 500, 0), Assert.Single(first.Settled).Share.Delta);
        Assert.Equal(new WireRequestDelta(2, 1, 300, 300, 0), Assert.Single(second.Settled).Share.Delta);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Begin_ResponsesLastSegmentSentAgainAfterItLeft_CountsWithThatResponseNotTheNext(bool afterTheTurn)
    {
        // A tail loss probe: the response's last segment left, the client's acknowledgment was slow, and the
        // kernel sent the segment again, before the client's next request (the turn kept it) or as it arrived.
        var ledger = ManualLedger();
        var ends = new StreamEnds(300, 5000);
        var (atEnd, first) = Waiting(ledger, Flow(dataIn: 2, bytesIn: 300, dataOut: 5, bytesOut: 5000), ends);
        var turn = new FlowTurn(DataPacketsIn: 2, BytesIn: 300, DataPacketsOut: afterTheTurn ? 5u : 6u, BytesOut: 5000, RetransmitsOut: afterTheTurn ? 0u : 1u,
            ReceivedOffset: 300, SentOffset: 5000);
        using var view = new Support.RecordingWireView(Flow(dataIn: 3, bytesIn: 400, dataOut: 6, bytesOut: 5000, retransmits: 1, turns: 1, turn: turn));
        var (_, second) = Waiting(ledger, Flow(dataIn: 3, bytesIn: 400, dataOut: 7, bytesOut: 5100, retransmits: 1, turns: 1, turn: turn),
            new StreamEnds(400, 5100), view);

        ledger.Forget(Connection, Flow(dataIn: 3, bytesIn: 400, dataOut: 7, bytesOut: 5100, retransmits: 1, turns: 1, turn: turn));

        // When the record was built the client had the response's five segments; it received the sixth with them.
        Assert.True(atEnd.Pending);
        Assert.Equal(new WireRequestDelta(2, 6, 300, 5000, 1), Assert.Single(first.Settled).Share.Delta);
        Assert.Equal(new WireRequestDelta(1, 1, 100, 100, 0), Assert.Single(second.Settled).Share.Delta);
    }

    [Fact]
    public void RetryWaiting_ResponseLeftAndNothingFollows_SettlesOneLookAfterTheClientAcknowledgedItsLastByte()
    {
        var ledger = ManualLedger();
        var ends = new StreamEnds(300, 5000);
        var (atEnd, waiter) = Waiting(ledger, Flow(dataIn: 2, bytesIn: 300, dataOut: 5, bytesOut: 5000, acked: 4000), ends);

        waiter.Now = Flow(dataIn: 2, bytesIn: 300, dataOut: 5, bytesOut: 5000, acked: 4000);
        ledger.RetryWaiting(Stopwatch.GetTimestamp());
        int unacknowledged = waiter.Settled.Count;
        // The last segment is sent again as the client's acknowledgment of it arrives: the look that sees the
        // acknowledgment may not see the segment yet; the next one does.
        waiter.Now = Flow(dataIn: 2, bytesIn: 300, dataOut: 5, bytesOut: 5000, acked: 5000);
        ledger.RetryWaiting(Stopwatch.GetTimestamp());
        int acknowledged = waiter.Settled.Count;
        waiter.Now = Flow(dataIn: 2, bytesIn: 300, dataOut: 6, bytesOut: 5000, retransmits: 1, acked: 5000);
        ledger.RetryWaiting(Stopwatch.GetTimestamp());

        Assert.True(atEnd.Pending);
        Assert.Equal((0, 0), (unacknowledged, acknowledged));
        Assert.Equal(new WireRequestDelta(2, 6, 300, 5000, 1), Assert.Single(waiter.Settled).Share.Delta);
        Assert.Equal(0, ledger.Waiting);
    }

    [Fact]
    public void Forget_SegmentSentAgainAfterTheNextResponseBegan_LeftOutRatherThanGuessedWhose()
    {
        // The next response is already leaving when the previous request is settled from the turn, and a segment
        // was sent again since that turn: it could be either response's.
        var ledger = ManualLedger();
        var (_, first) = Waiting(ledger, Flow(dataIn: 2, bytesIn: 300, dataOut: 5, bytesOut: 5000), new StreamEnds(300, 5000));
        var turn = new FlowTurn(DataPacketsIn: 2, BytesIn: 300, DataPacketsOut: 5, BytesOut: 5000, RetransmitsOut: 0, ReceivedOffset: 300, SentOffset: 5000);
        var noResend = Flow(dataIn: 3, bytesIn: 400, dataOut: 7, bytesOut: 5100, turns: 1, turn: turn);
        var other = ManualLedger();
        var (_, clean) = Waiting(other, Flow(dataIn: 2, bytesIn: 300, dataOut: 5, bytesOut: 5000), new StreamEnds(300, 5000));

        ledger.Forget(Connection, noResend with { DataPacketsOut = 8, RetransmitsOut = 1 });
        other.Forget(Connection, noResend);

        Assert.Equal(WireRequestShare.LeftOut(WireRequestOmitted.Overlap), Assert.Single(first.Settled).Share);
        Assert.Equal(new WireRequestDelta(2, 5, 300, 5000, 0), Assert.Single(clean.Settled).Share.Delta);
    }

    // A record waiting for its share: what the retry timer's lookup sees now, and what it was handed.
    private sealed class RecordingWaiter(StreamEnds ends) : ShareWaiter(ends)
    {
        public WireFacts? Now;

        public List<(WireRequestShare Share, WireFacts? At)> Settled { get; } = [];

        protected internal override WireFacts? Lookup() => Now;

        protected override void OnSettled(WireRequestShare share, WireFacts? at)
        {
            lock (Settled)
            {
                Settled.Add((share, at));
            }
        }
    }

    // A ledger whose retry timer never fires by itself: the test runs its rounds.
    private static ConnectionLedger ManualLedger() => new(Timeout.InfiniteTimeSpan, handOffFromBegin: false);

    [Fact]
    public void Account_ResponseStillLeaving_WaitsThenSettlesOnceItLeft()
    {
        var ledger = ManualLedger();
        var ends = new StreamEnds(300, 5000);
        using var request = ledger.Begin(Connection, new SpanData());
        request.Account(Flow(dataIn: 2, bytesIn: 300, dataOut: 2, bytesOut: 2000), null, ends, out var share);
        var waiter = new RecordingWaiter(ends) { Now = Flow(dataIn: 2, bytesIn: 300, dataOut: 3, bytesOut: 3000) };

        request.Wait(waiter);
        ledger.RetryWaiting(Stopwatch.GetTimestamp());
        int whileStillLeaving = waiter.Settled.Count;
        waiter.Now = Flow(dataIn: 2, bytesIn: 300, dataOut: 5, bytesOut: 5000, acked: 5000);
        ledger.RetryWaiting(Stopwatch.GetTimestamp());
        // It left and the client acknowledged it: the next look settles it.
        int acknowledged = waiter.Settled.Count;
        ledger.RetryWaiting(Stopwatch.GetTimestamp());

        Assert.True(share.Pending);
        Assert.Equal((0, 0), (whileStillLeaving, acknowledged));
        var (left, at) = Assert.Single(waiter.Settled);
        Assert.Equal(new WireRequestDelta(2, 5, 300, 5000, 0), left.Delta);
        Assert.Equal(5000, at!.Value.BytesOut);
        Assert.Equal(0, ledger.Waiting);
    }

    [Fact]
    public void Begin_AfterARequestWhoseResponseWasStillLeaving_SettlesItFromTheTurnThatBeganTheNext()
    {
        var ledger = ManualLedger();
        var ends = new StreamEnds(300, 5000);
        var first = ledger.Begin(Connection, new SpanData());
        first.Account(Flow(dataIn: 2, bytesIn: 300, dataOut: 2, bytesOut: 2000), null, ends, out var pending);
        var waiter = new RecordingWaiter(ends);
        first.Wait(waiter);
        first.Dispose();

        var turn = new FlowTurn(DataPacketsIn: 2, BytesIn: 300, DataPacketsOut: 5, BytesOut: 5000, RetransmitsOut: 0, ReceivedOffset: 300, SentOffset: 5000);
        using var view = new Support.RecordingWireView(Flow(dataIn: 3, bytesIn: 400, dataOut: 5, bytesOut: 5000, turns: 1, turn: turn));
        var (_, second) = Waiting(ledger, Flow(dataIn: 3, bytesIn: 400, dataOut: 6, bytesOut: 5100, turns: 1, turn: turn), new StreamEnds(400, 5100), view);
        ledger.Forget(Connection, Flow(dataIn: 3, bytesIn: 400, dataOut: 6, bytesOut: 5100, turns: 1, turn: turn));

        Assert.True(pending.Pending);
        Assert.Equal(new WireRequestDelta(2, 5, 300, 5000, 0), Assert.Single(waiter.Settled).Share.Delta);
        Assert.Equal(new WireRequestDelta(1, 1, 100, 100, 0), Assert.Single(second.Settled).Share.Delta);
    }

    [Fact]
    public void Forget_WhileTheResponseWasStillLeaving_SettlesItFromTheFinalFactsAndHandsItToItsRecord()
    {
        // curl: one request, the client closes as soon as it has the response; the record was still waiting for it.
        var ledger = ManualLedger();
        var ends = new StreamEnds(80, 566);
        var request = ledger.Begin(Connection, new SpanData());
        request.Account(Flow(dataIn: 1, bytesIn: 80, dataOut: 1, bytesOut: 561), null, ends, out var pending);
        request.Dispose();
        // The flow is being handed to Forget: the timer's lookup finds none.
        var waiter = new RecordingWaiter(ends) { Now = null };
        request.Wait(waiter);
        ledger.RetryWaiting(Stopwatch.GetTimestamp());
        int whileClosing = waiter.Settled.Count;
        // Both FINs have gone (FlowView.SentOffset leaves the gateway's out of the stream offset); the flow is removed.
        var final = Flow(dataIn: 1, bytesIn: 80, dataOut: 2, bytesOut: 566) with { ClosedBy = "peer", PacketsIn = 5, PacketsOut = 5 };

        Assert.Equal(1, ledger.Forget(Connection, final));

        Assert.True(pending.Pending);
        Assert.Equal(0, whileClosing);
        var (settled, at) = Assert.Single(waiter.Settled);
        Assert.Equal(new WireRequestShare(new WireRequestDelta(1, 2, 80, 566, 0), null, false), settled);
        Assert.Equal(final, at);
        Assert.Equal(0, ledger.Count);
    }

    [Fact]
    public void RetryWaiting_GatewaysFinSeenBeforeItsFlag_WaitsInsteadOfCallingItOverlap()
    {
        // The egress program moves the highest sequence sent before it flags the FIN: one past the response's end.
        var ledger = ManualLedger();
        var ends = new StreamEnds(80, 566);
        using var request = ledger.Begin(Connection, new SpanData());
        request.Account(Flow(dataIn: 1, bytesIn: 80, dataOut: 1, bytesOut: 561), null, ends, out _);
        var waiter = new RecordingWaiter(ends) { Now = Flow(dataIn: 1, bytesIn: 80, dataOut: 2, bytesOut: 566, sent: 567) };

        request.Wait(waiter);
        ledger.RetryWaiting(Stopwatch.GetTimestamp());
        int finUnflagged = waiter.Settled.Count;
        waiter.Now = Flow(dataIn: 1, bytesIn: 80, dataOut: 2, bytesOut: 566, acked: 567);
        ledger.RetryWaiting(Stopwatch.GetTimestamp());
        ledger.RetryWaiting(Stopwatch.GetTimestamp());

        Assert.Equal(0, finUnflagged);
        var (finFlagged, at) = Assert.Single(waiter.Settled);
        Assert.Equal(new WireRequestDelta(1, 2, 80, 566, 0), finFlagged.Delta);
        Assert.Equal(566, at!.Value.BytesOut);
    }

    [Fact]
    public void Wait_SettledByTheNextRequest_GivesTheFactsItWasSettledWith()
    {
        var ledger = ManualLedger();
        var ends = new StreamEnds(300, 5000);
        var first = ledger.Begin(Connection, new SpanData());
        first.Account(Flow(dataIn: 2, bytesIn: 300, dataOut: 2, bytesOut: 2000), null, ends, out _);
        first.Dispose();
        var waiter = new RecordingWaiter(ends);
        first.Wait(waiter);

        var turn = new FlowTurn(DataPacketsIn: 2, BytesIn: 300, DataPacketsOut: 5, BytesOut: 5000, RetransmitsOut: 0, ReceivedOffset: 300, SentOffset: 5000);
        var atTurn = Flow(dataIn: 3, bytesIn: 400, dataOut: 5, bytesOut: 5000, turns: 1, turn: turn);
        using var view = new Support.RecordingWireView(atTurn);
        using var second = ledger.Begin(Connection, new SpanData(), view: view);
        // A later round of the timer finds it settled and hands nothing again.
        waiter.Now = Flow(dataIn: 3, bytesIn: 400, dataOut: 6, bytesOut: 5100, turns: 1, turn: turn);
        ledger.RetryWaiting(Stopwatch.GetTimestamp());

        var (settled, at) = Assert.Single(waiter.Settled);
        Assert.Equal(new WireRequestDelta(2, 5, 300, 5000, 0), settled.Delta);
        // The totals on its record are those it was settled with: never less than its own figures.
        Assert.Equal(atTurn, at);
        Assert.Equal(0, ledger.Waiting);
    }

    [Fact]
    public async Task Begin_SettlesThePreviousRecord_ButItsCompletionDoesNotHoldTheNextRequest()
    {
        // The record the next request's start settles runs its rules, sampling and the sinks' queues on a
        // pool thread: none of it adds to the request that is about to be proxied. Its share is the one
        // taken at that start, whatever the flow shows when it runs.
        using var ledger = new ConnectionLedger(Timeout.InfiniteTimeSpan);
        var ends = new StreamEnds(300, 5000);
        var first = ledger.Begin(Connection, new SpanData());
        first.Account(Flow(dataIn: 2, bytesIn: 300, dataOut: 2, bytesOut: 2000), null, ends, out _);
        first.Dispose();
        using var release = new ManualResetEventSlim();
        var waiter = new GatedWaiter(ends, release);
        first.Wait(waiter);

        var turn = new FlowTurn(DataPacketsIn: 2, BytesIn: 300, DataPacketsOut: 5, BytesOut: 5000, RetransmitsOut: 0, ReceivedOffset: 300, SentOffset: 5000);
        using var view = new Support.RecordingWireView(Flow(dataIn: 3, bytesIn: 400, dataOut: 5, bytesOut: 5000, turns: 1, turn: turn));
        // Delivered inline, Begin would wait here for the gate the test opens only after it returned.
        using var second = ledger.Begin(Connection, new SpanData(), view: view);
        Assert.False(waiter.Done.Task.IsCompleted);
        release.Set();

        var share = await waiter.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new WireRequestDelta(2, 5, 300, 5000, 0), share.Delta);
        // The timer's next round forgets it (settled by someone else) and hands nothing again.
        ledger.RetryWaiting(Stopwatch.GetTimestamp());
        Assert.Equal(0, ledger.Waiting);
        Assert.Equal(1, waiter.Calls);
    }

    // A waiter whose completion holds until the test opens the gate (at most 5 s).
    private sealed class GatedWaiter(StreamEnds ends, ManualResetEventSlim gate) : ShareWaiter(ends)
    {
        private int calls;

        public TaskCompletionSource<WireRequestShare> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref calls);

        protected internal override WireFacts? Lookup() => null;

        protected override void OnSettled(WireRequestShare share, WireFacts? at)
        {
            Interlocked.Increment(ref calls);
            gate.Wait(TimeSpan.FromSeconds(5));
            Done.TrySetResult(share);
        }
    }

    [Fact]
    public void Wait_SettledBeforeItWaits_IsHandedOverAtOnce()
    {
        var ledger = ManualLedger();
        var ends = new StreamEnds(300, 5000);
        var first = ledger.Begin(Connection, new SpanData());
        first.Account(Flow(dataIn: 2, bytesIn: 300, dataOut: 2, bytesOut: 2000), null, ends, out var pending);
        first.Dispose();
        var turn = new FlowTurn(DataPacketsIn: 2, BytesIn: 300, DataPacketsOut: 5, BytesOut: 5000, RetransmitsOut: 0, ReceivedOffset: 300, SentOffset: 5000);
        var atTurn = Flow(dataIn: 3, bytesIn: 400, dataOut: 5, bytesOut: 5000, turns: 1, turn: turn);
        using var view = new Support.RecordingWireView(atTurn);
        using var second = ledger.Begin(Connection, new SpanData(), view: view);

        var waiter = new RecordingWaiter(ends);
        first.Wait(waiter);

        Assert.True(pending.Pending);
        var (settled, at) = Assert.Single(waiter.Settled);
        Assert.Equal(new WireRequestDelta(2, 5, 300, 5000, 0), settled.Delta);
        Assert.Equal(atTurn, at);
        Assert.Equal(0, ledger.Waiting);
    }

    [Fact]
    public async Task Wait_ResponseLeftAndNothingCameAfterIt_TheRetryTimerSettlesItOnce()
    {
        // The real timer: no next request and no close, the response leaves after the record waited.
        using var ledger = new ConnectionLedger();
        var ends = new StreamEnds(300, 5000);
        using var request = ledger.Begin(Connection, new SpanData());
        request.Account(Flow(dataIn: 2, bytesIn: 300, dataOut: 2, bytesOut: 2000), null, ends, out var share);
        var waiter = new RecordingWaiter(ends) { Now = Flow(dataIn: 2, bytesIn: 300, dataOut: 3, bytesOut: 3000) };
        request.Wait(waiter);
        waiter.Now = Flow(dataIn: 2, bytesIn: 300, dataOut: 5, bytesOut: 5000, acked: 5000);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (waiter.Settled.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        // Several periods more: the timer stops once nothing waits, and never hands it over twice.
        await Task.Delay(ConnectionLedger.RetryPeriod * 4);
        Assert.True(share.Pending);
        Assert.Equal(new WireRequestDelta(2, 5, 300, 5000, 0), Assert.Single(waiter.Settled).Share.Delta);
        Assert.Equal(0, ledger.Waiting);
    }

    [Fact]
    public void Account_UpstreamRequestsRecordedOutOfOrder_EachGetsExactlyItsOwnWindowOrIsLeftOut()
    {
        // A pooled upstream connection: the gateway writes request 1 (100 bytes), reads response 1 (500), the pool
        // hands the connection to request 2 (150 out, 600 in), and request 2 records itself before request 1 does.
        var ledger = new ConnectionLedger();
        using var atStart = new Support.RecordingWireView(Flow(dataIn: 0, bytesIn: 0, dataOut: 0, bytesOut: 0));
        var first = ledger.Begin(Connection, new SpanData(), view: atStart, began: new StreamEnds(0, 0));
        using var betweenThem = new Support.RecordingWireView(Flow(dataIn: 1, bytesIn: 500, dataOut: 1, bytesOut: 100));
        var second = ledger.Begin(Connection, new SpanData(), view: betweenThem, began: new StreamEnds(500, 100));
        var afterBoth = Flow(dataIn: 3, bytesIn: 1100, dataOut: 2, bytesOut: 250);

        second.Account(afterBoth, null, new StreamEnds(1100, 250), out var secondShare);
        first.Account(afterBoth, null, new StreamEnds(500, 100), out var firstShare);

        Assert.Equal(new WireRequestShare(new WireRequestDelta(2, 1, 600, 150, 0), null, false), secondShare);
        // The first one's end is no longer what the kernel shows: left out, never the sum of both.
        Assert.Equal(WireRequestShare.LeftOut(WireRequestOmitted.Overlap), firstShare);
    }

    [Fact]
    public void Account_UpstreamRequestsInOrder_EachGetsItsWindowFromWhereItBegan()
    {
        var ledger = new ConnectionLedger();
        using var atStart = new Support.RecordingWireView(Flow(dataIn: 0, bytesIn: 0, dataOut: 0, bytesOut: 0));
        var first = ledger.Begin(Connection, new SpanData(), view: atStart, began: new StreamEnds(0, 0));
        first.Account(Flow(dataIn: 1, bytesIn: 500, dataOut: 1, bytesOut: 100), null, new StreamEnds(500, 100), out var firstShare);
        using var between = new Support.RecordingWireView(Flow(dataIn: 1, bytesIn: 500, dataOut: 1, bytesOut: 100));
        // Where the second one claims to begin is not what the kernel shows (bytes it never saw): no start, no figures.
        var stray = ledger.Begin(Connection, new SpanData(), view: between, began: new StreamEnds(510, 100));
        stray.Account(Flow(dataIn: 2, bytesIn: 900, dataOut: 2, bytesOut: 180), null, new StreamEnds(900, 180), out var strayShare);

        Assert.Equal(new WireRequestDelta(1, 1, 500, 100, 0), firstShare.Delta);
        Assert.Equal(WireRequestShare.LeftOut(WireRequestOmitted.Overlap), strayShare);
    }

    [Fact]
    public void Account_PipelinedRequests_AreLeftOutAsOverlapping()
    {
        var ledger = new ConnectionLedger();

        // The second request arrived with the first: no turn between them.
        var first = Account(ledger, Flow(dataIn: 1, bytesIn: 600, dataOut: 1, bytesOut: 500), new StreamEnds(300, 500));
        var second = Account(ledger, Flow(dataIn: 1, bytesIn: 600, dataOut: 2, bytesOut: 1000), new StreamEnds(600, 1000));

        Assert.Equal(WireRequestShare.LeftOut(WireRequestOmitted.Overlap), first);
        Assert.Equal(WireRequestShare.LeftOut(WireRequestOmitted.Overlap), second);
    }

    [Fact]
    public void Account_WithoutSequenceNumbersOrOnAStream_IsLeftOutWithTheReason()
    {
        var ledger = new ConnectionLedger();
        using var request = ledger.Begin(Connection, new SpanData());

        var evicted = Account(ledger, Flow(1, 100, 1, 100) with { ReceivedOffset = null }, new StreamEnds(100, 100));
        using var h2 = ledger.Begin(Connection, new SpanData(), System.Net.HttpVersion.Version20);
        h2.Account(Flow(2, 200, 2, 200), null, new StreamEnds(200, 200), out var stream);

        Assert.Equal(WireRequestShare.LeftOut(WireRequestOmitted.NoSequence), evicted);
        Assert.Equal(WireRequestShare.LeftOut(WireRequestOmitted.Multiplexed), stream);
    }

    [Fact]
    public void RetryWaiting_AfterTheLongestWaitWhileTheResponseIsStillLeaving_IsLeftOutAsUnsettled()
    {
        var ledger = ManualLedger();
        var ends = new StreamEnds(300, 5000);
        using var request = ledger.Begin(Connection, new SpanData());
        request.Account(Flow(2, 300, 1, 1000), null, ends, out _);
        var waiter = new RecordingWaiter(ends) { Now = Flow(2, 300, 1, 1000) };
        request.Wait(waiter);

        ledger.RetryWaiting(waiter.Since + (long)(ConnectionLedger.MaxSettleWait.TotalSeconds * Stopwatch.Frequency) - 1);
        int beforeTheLimit = waiter.Settled.Count;
        ledger.RetryWaiting(waiter.Since + (long)(ConnectionLedger.MaxSettleWait.TotalSeconds * Stopwatch.Frequency));

        Assert.Equal(0, beforeTheLimit);
        Assert.Equal(WireRequestShare.LeftOut(WireRequestOmitted.Unsettled), Assert.Single(waiter.Settled).Share);
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
        Account(ledger, Flow(1, 50, 1, 100), new StreamEnds(50, 100), answers: false);

        var request = ledger.Begin(Connection, new SpanData(), answers: false);
        ledger.Forget(Connection);
        request.Dispose();
        var attributes = request.Account(Flow(2, 90, 2, 160), null, new StreamEnds(90, 160), out var share);

        Assert.Equal(0, ledger.Count);
        Assert.Equal(60, share.Delta!.Value.BytesOut);
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
        // A pooled upstream connection (its requests record themselves once they read their responses).
        var old = ledger.Begin(Connection, new SpanData(), answers: false);
        old.Account(Flow(3, 1000, 1, 100), null, new StreamEnds(1000, 100), out _);
        ledger.Forget(Connection);

        using var fresh = ledger.Begin(Connection, new SpanData(), answers: false);
        fresh.Account(Flow(1, 80, 1, 70), null, new StreamEnds(80, 70), out var share);
        old.Dispose();

        Assert.Equal(80, share.Delta!.Value.BytesIn);
        Assert.Equal(1, ledger.Count);
        Assert.Equal(1, ledger.Forget(Connection));
    }
}
