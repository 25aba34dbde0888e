using System.Collections.Concurrent;
using System.Net.Sockets;
using Gateway.Correlation;

namespace Gateway.Tests.Support;

/// <summary>An active wire view that reports fixed facts and records what the gateway handed it.</summary>
internal sealed class RecordingWireView(WireFacts facts) : IWireView, IDisposable
{
    public bool IsActive => true;

    public string? InactiveReason => null;

    public ConcurrentQueue<string> ListenSockets { get; } = new();

    /// <summary>For each upstream socket handed over: was it already connected at that moment?</summary>
    public ConcurrentQueue<bool> UpstreamCreatedConnected { get; } = new();

    public ConcurrentQueue<ConnectionTuple?> UpstreamClosed { get; } = new();

    public ConcurrentQueue<ConnectionTuple> Completed { get; } = new();

    public void OnListenSocketCreated(Socket socket) => ListenSockets.Enqueue(socket.LocalEndPoint?.ToString() ?? "?");

    public void OnUpstreamSocketCreated(Socket socket) => UpstreamCreatedConnected.Enqueue(socket.Connected);

    public void OnUpstreamSocketClosed(Socket socket, ConnectionTuple? tuple) => UpstreamClosed.Enqueue(tuple);

    public WireFacts? Lookup(ConnectionTuple tuple) => facts;

    /// <summary>The container that created it disposed it (as it does a kernel view, detaching the probe).</summary>
    public bool Disposed { get; private set; }

    public void Dispose() => Disposed = true;

    public WireFacts? Complete(ConnectionTuple tuple)
    {
        Completed.Enqueue(tuple);
        return facts;
    }
}
