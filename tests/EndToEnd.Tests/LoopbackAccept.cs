using System.Net.Sockets;

namespace EndToEnd.Tests;

/// <summary>The accept loop of the tests' raw TCP backends.</summary>
internal static class LoopbackAccept
{
    /// <summary>
    /// Hands every connection <paramref name="listener"/> accepts to <paramref name="serve"/> (which returns at its
    /// first await), until <paramref name="stop"/> or the listener is closed. Bounded by the test's lifetime.
    /// </summary>
    public static async Task EachAsync(Socket listener, Func<Socket, Task> serve, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = serve(connection);
        }
    }
}
