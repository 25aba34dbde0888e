using System.Diagnostics;

namespace Gateway.Correlation;

/// <summary>
/// Something that waits for the share of a request whose response was still leaving when the request
/// ended (<see cref="WireRequestShare.Pending"/>): handed to <see cref="ConnectionLedger.Wait"/>, it is
/// settled exactly once, by whichever comes first: the next request on the connection (from the
/// kernel's turn), the connection's close (from its final facts), or the ledger's retry timer, which
/// looks the flow up again (<see cref="Lookup"/>) until the response has left or
/// <see cref="ConnectionLedger.MaxSettleWait"/> has passed.
/// </summary>
internal abstract class ShareWaiter(StreamEnds ends) : IThreadPoolWorkItem
{
    private int settled;

    // What SettleLater hands to the pool thread (written before the work item is queued, which fences).
    private WireRequestShare laterShare;
    private WireFacts? laterAt;

    /// <summary>Where the request and its response end in the connection's streams.</summary>
    public StreamEnds Ends { get; } = ends;

    /// <summary>When it began to wait (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long Since { get; } = Stopwatch.GetTimestamp();

    /// <summary>The connection's facts now, for the retry timer; null while the flow is not found.</summary>
    protected internal abstract WireFacts? Lookup();

    /// <summary>
    /// The share is known: <paramref name="share"/> is never pending; <paramref name="at"/>, the facts it
    /// was taken from (null when none were read). Called once, outside the ledger's locks, on the thread
    /// that settled it, or on a thread-pool thread when the next request's start settled it: keep it short
    /// and never throw.
    /// </summary>
    protected abstract void OnSettled(WireRequestShare share, WireFacts? at);

    /// <summary>Delivers the share the first time; later calls do nothing.</summary>
    internal void Settle(WireRequestShare share, WireFacts? at)
    {
        if (Interlocked.Exchange(ref settled, 1) == 0)
        {
            OnSettled(share, at);
        }
    }

    /// <summary>
    /// Delivers the share on a thread-pool thread (preferring the caller's own queue, so it runs once the
    /// caller's work item yields): for a share the next request on the connection settled, whose record
    /// (rules, sampling, the sinks' queues) must not add to that request's latency.
    /// </summary>
    internal void SettleLater(WireRequestShare share, WireFacts? at)
    {
        laterShare = share;
        laterAt = at;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
    }

    void IThreadPoolWorkItem.Execute() => Settle(laterShare, laterAt);
}
