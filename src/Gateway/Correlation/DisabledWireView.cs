using System.Net.Sockets;

namespace Gateway.Correlation;

/// <summary>The wire view when the probe is off or could not start: records say <c>wire.observed=false</c>.</summary>
public sealed class DisabledWireView(string reason) : IWireView
{
    /// <inheritdoc />
    public bool IsActive => false;

    /// <inheritdoc />
    public string? InactiveReason { get; } = reason;

    /// <inheritdoc />
    public void OnListenSocketCreated(Socket socket) { }

    /// <inheritdoc />
    public void OnUpstreamSocketCreated(Socket socket) { }

    /// <inheritdoc />
    public void OnUpstreamSocketClosed(Socket socket, ConnectionTuple? tuple) { }

    /// <inheritdoc />
    public WireFacts? Lookup(ConnectionTuple tuple) => null;

    /// <inheritdoc />
    public WireFacts? Complete(ConnectionTuple tuple) => null;
}
