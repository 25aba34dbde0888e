using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using KernelProbe;

namespace Gateway.Correlation;

/// <summary>
/// The wire view backed by the kernel probe: the socket filter goes onto every
/// listen and upstream socket, and lookups read the flow table. No member
/// throws: a kernel failure after start means "not observed" for that call,
/// reported once through <see cref="Failed"/>.
/// </summary>
public sealed class KernelWireView : IWireView, IDisposable
{
    private readonly WireProbe probe;
    private readonly ConditionalWeakTable<Socket, StrongBox<ulong>> cookies = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ConnectionTuple, (WireFacts Facts, long At)> closed = new();
    private readonly bool ja4t;
    private int failureReported;
    private long lastClosedSweep;

    /// <summary>How long the final facts of a closed upstream connection stay readable.</summary>
    /// <remarks>
    /// A connection the pool drops because it broke (a reset mid-response) is closed
    /// before the request that suffered it has written its span: that span must still
    /// see what the wire saw.
    /// </remarks>
    public static readonly TimeSpan ClosedGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Wraps a started probe whose events go to <paramref name="events"/>; the view owns the probe
    /// from here on. <paramref name="ja4t"/> adds the JA4T fingerprint to the facts (<c>KernelProbe:Ja4t</c>).
    /// </summary>
    public KernelWireView(WireProbe probe, WireEventRouter events, bool ja4t = false)
    {
        this.probe = probe;
        this.ja4t = ja4t;
        Events = events;
    }

    /// <summary>Where the probe's events go: span events of requests in flight, or anomalies.</summary>
    public WireEventRouter Events { get; }

    /// <summary>Raised once, on the first kernel failure after start.</summary>
    public event Action<Exception>? Failed;

    /// <summary>The probe behind the view.</summary>
    public WireProbe Probe => probe;

    /// <inheritdoc />
    public bool IsActive => true;

    /// <inheritdoc />
    public string? InactiveReason => null;

    /// <inheritdoc />
    public void OnListenSocketCreated(Socket socket) => Guard(() => probe.AttachSocket(socket));

    /// <inheritdoc />
    public void OnUpstreamSocketCreated(Socket socket) =>
        Guard(() => cookies.AddOrUpdate(socket, new StrongBox<ulong>(probe.RegisterUpstreamSocket(socket))));

    /// <inheritdoc />
    public void OnUpstreamSocketClosed(Socket socket, ConnectionTuple? tuple)
    {
        if (cookies.TryGetValue(socket, out StrongBox<ulong>? cookie))
        {
            cookies.Remove(socket);
            Guard(() => probe.ForgetSocket(cookie.Value));
        }
        if (tuple is { } t)
        {
            if (Lookup(t) is { } last)
                closed[t] = (last, Environment.TickCount64);
            Guard(() => probe.RemoveFlow(ToKey(t)));
        }
        ForgetOldClosed();
    }

    private void ForgetOldClosed()
    {
        // One pass per second at most: a pass per close would cost O(closes in the
        // grace period) on every close, quadratic under connection churn.
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref lastClosedSweep);
        if (now - last < 1000 || Interlocked.CompareExchange(ref lastClosedSweep, now, last) != last)
            return;
        long cutoff = now - (long)ClosedGrace.TotalMilliseconds;
        foreach (var (key, value) in closed)
        {
            if (value.At < cutoff)
                closed.TryRemove(key, out _);
        }
    }

    /// <inheritdoc />
    public WireFacts? Lookup(ConnectionTuple tuple)
    {
        // Per request on both legs: read without allocating a FlowRecord, and no closure (unlike Guard).
        bool found = false;
        FlowView view = default;
        try
        {
            found = probe.TryReadFlow(ToKey(tuple), out view);
        }
        catch (Exception e) when (e is ProbeException or ArgumentException or ObjectDisposedException)
        {
            Reported(e);
        }

        if (!found)
            return closed.TryGetValue(tuple, out var last) ? last.Facts : null;
        return ToFacts(view, tuple.LocalAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork, ja4t);
    }

    /// <summary>True when the gateway opened this connection (an upstream one), as the kernel recorded it.</summary>
    public bool IsUpstream(ConnectionTuple tuple)
    {
        FlowRecord? record = null;
        Guard(() => probe.TryGetFlow(ToKey(tuple), out record));
        return record?.Flags.HasFlag(FlowFlags.SynOut) == true;
    }

    /// <inheritdoc />
    public WireFacts? Complete(ConnectionTuple tuple)
    {
        WireFacts? facts = Lookup(tuple);
        Guard(() => probe.RemoveFlow(ToKey(tuple)));
        return facts;
    }

    /// <summary>Detaches every program (the TC filters first) and unloads them.</summary>
    public void Dispose() => probe.Dispose();

    // The text forms of a handshake (options, JA4T) by its shape: clients of one kind send the
    // same SYN, so a request reuses the strings instead of formatting them again. Bounded.
    private static readonly ConcurrentDictionary<HandshakeShape, (string Options, string? Ja4t)> HandshakeTexts = new();

    private readonly record struct HandshakeShape(ushort Window, int Mss, int Scale, UInt128 Options);

    private static (string Options, string? Ja4t) Texts(in FlowView view)
    {
        HandshakeShape? shape = view.HandshakeOptionKey is { } options
            ? new HandshakeShape(view.HandshakeWindow, view.HandshakeMss ?? -1, view.HandshakeWindowScale ?? -1, options)
            : null;
        if (shape is { } known && HandshakeTexts.TryGetValue(known, out var texts))
            return texts;
        // Not seen before (or an option list too long to key): the record formats them.
        var record = view.ToRecord();
        texts = (record.HandshakeOptions, record.Ja4t);
        if (shape is { } key && HandshakeTexts.Count < 1024)
            HandshakeTexts.TryAdd(key, texts);
        return texts;
    }

    /// <summary>Maps a kernel flow record onto the <c>wire.*</c> schema; the JA4T fingerprint only when <paramref name="ja4t"/>.</summary>
    public static WireFacts ToFacts(in FlowView record, bool ipv4, bool ja4t = false)
    {
        bool hs = record.HasHandshake;
        var (options, fingerprint) = hs ? Texts(record) : (null!, null);
        return new WireFacts
        {
            Ttl = hs ? record.HandshakeTtl : null,
            Dscp = hs ? record.HandshakeDscp : null,
            Ecn = hs ? record.HandshakeEcn : null,
            Window = hs ? record.HandshakeWindow : null,
            Mss = hs ? record.HandshakeMss : null,
            WindowScale = hs ? record.HandshakeWindowScale : null,
            Options = hs ? options : null,
            Ja4t = ja4t ? fingerprint : null,
            DontFragment = hs && ipv4 ? record.HandshakeDontFragment : null,
            HandshakeRttUs = record.HandshakeRttUs,
            RetransmitsOut = (long)record.RetransmitsOut,
            TtlChanges = record.TtlChanges,
            ZeroWindowIn = record.ZeroWindowIn,
            ZeroWindowOut = record.ZeroWindowOut,
            ResetBy = Name(record.ResetBy),
            ClosedBy = Name(record.ClosedBy),
            DurationMs = record.LastSeenNs >= record.FirstSeenNs ? (record.LastSeenNs - record.FirstSeenNs) / 1e6 : 0,
            PacketsIn = (long)record.PacketsIn,
            PacketsOut = (long)record.PacketsOut,
            BytesIn = (long)record.BytesIn,
            BytesOut = (long)record.BytesOut,
            DataPacketsIn = (long)record.DataPacketsIn,
            DataPacketsOut = (long)record.DataPacketsOut,
            ReceivedOffset = record.ReceivedOffset,
            SentOffset = record.SentOffset,
            AckedOffset = record.AckedOffset,
            Turns = record.Turns,
            Turn = record.Turn,
        };
    }

    private static string? Name(ConnectionCloser? closer) => closer switch
    {
        ConnectionCloser.Peer => "peer",
        ConnectionCloser.Gateway => "gateway",
        _ => null,
    };

    private static FlowKey ToKey(ConnectionTuple t) => new(t.LocalAddress, t.LocalPort, t.PeerAddress, t.PeerPort);

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is ProbeException or ArgumentException or ObjectDisposedException)
        {
            Reported(e);
        }
    }

    private void Reported(Exception e)
    {
        if (Interlocked.Exchange(ref failureReported, 1) == 0)
            Failed?.Invoke(e);
    }
}
