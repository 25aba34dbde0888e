using System.Net.Sockets;

namespace Gateway.Correlation;

/// <summary>
/// The gateway's only window onto the kernel: it hands over the sockets it
/// creates and asks what the wire saw for a 5-tuple. Implementations never
/// throw from these members: a failure means "not observed".
/// </summary>
public interface IWireView
{
    /// <summary>True when kernel programs are loaded and recording.</summary>
    bool IsActive { get; }

    /// <summary>Why the view is off, for the one warning at start; null when active.</summary>
    string? InactiveReason { get; }

    /// <summary>Called for every bound Kestrel listen socket, before it listens.</summary>
    void OnListenSocketCreated(Socket socket);

    /// <summary>Called for every upstream socket, after creation and before connect.</summary>
    void OnUpstreamSocketCreated(Socket socket);

    /// <summary>Called when an upstream connection is closed by the gateway.</summary>
    void OnUpstreamSocketClosed(Socket socket, ConnectionTuple? tuple);

    /// <summary>What the wire saw for this connection so far; null when nothing was observed.</summary>
    WireFacts? Lookup(ConnectionTuple tuple);

    /// <summary>Returns the final facts of a closed connection and forgets it; null when unobserved.</summary>
    WireFacts? Complete(ConnectionTuple tuple);
}
