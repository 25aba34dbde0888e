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
    private int failureReported;

    /// <summary>Wraps a started probe; the view owns it from here on.</summary>
    public KernelWireView(WireProbe probe) => this.probe = probe;

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
            Guard(() => probe.RemoveFlow(ToKey(t)));
    }

    /// <inheritdoc />
    public WireFacts? Lookup(ConnectionTuple tuple)
    {
        FlowRecord? record = null;
        Guard(() => probe.TryGetFlow(ToKey(tuple), out record));
        return record is null ? null : ToFacts(record);
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

    /// <summary>Maps a kernel flow record onto the <c>wire.*</c> schema.</summary>
    public static WireFacts ToFacts(FlowRecord record)
    {
        bool hs = record.HasHandshake;
        return new WireFacts
        {
            Ttl = hs ? record.HandshakeTtl : null,
            Dscp = hs ? record.HandshakeDscp : null,
            Ecn = hs ? record.HandshakeEcn : null,
            Window = hs ? record.HandshakeWindow : null,
            Mss = hs ? record.HandshakeMss : null,
            WindowScale = hs ? record.HandshakeWindowScale : null,
            Options = hs ? record.HandshakeOptions : null,
            PacketsIn = (long)record.PacketsIn,
            PacketsOut = (long)record.PacketsOut,
            BytesIn = (long)record.BytesIn,
            BytesOut = (long)record.BytesOut,
        };
    }

    private static FlowKey ToKey(ConnectionTuple t) => new(t.LocalAddress, t.LocalPort, t.PeerAddress, t.PeerPort);

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is ProbeException or ArgumentException or ObjectDisposedException)
        {
            if (Interlocked.Exchange(ref failureReported, 1) == 0)
                Failed?.Invoke(e);
        }
    }
}
