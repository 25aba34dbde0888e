namespace KernelProbe.Tests;

/// <summary>How a reader copies a record the programs keep updating (no kernel needed).</summary>
public sealed class LiveTableTests
{
    [Fact]
    public unsafe void Snapshot_WhileTheTurnIsBeingWritten_IsNoStateOfTheRecord_OnceWrittenItIs()
    {
        // The programs hold the turn's sequence lock odd while they write the turn: its counters may be the new
        // turn's and its sequence numbers the old one's. A copy then is never taken, however often it repeats.
        var record = new ProbeFlowRecord { TurnSeq = 3, DataPacketsIn = 7 };
        record.Turn.DataPacketsIn = 5;

        bool whileWritten = LiveTable.Snapshot(&record, out _);
        record.TurnSeq = 4;
        bool written = LiveTable.Snapshot(&record, out var copy);

        Assert.False(whileWritten);
        Assert.True(written);
        Assert.Equal(2u, new FlowView(copy).Turns);
        Assert.Equal(5ul, new FlowView(copy).Turn.DataPacketsIn);
    }
}
