using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EndToEnd.Tests;

/// <summary>
/// A raw HTTP/1.1 backend on 127.0.0.1 that knows exactly what each exchange moved on its side:
/// the bytes of every request it read and of every response it wrote, and its socket's own kernel
/// counts (TCP_INFO, the backend's TCP stack, which the gateway's programs never touch) each time
/// it has read a whole request. Answers GETs without a body; <c>?size=N</c> gives N bytes of body.
/// </summary>
internal sealed class CountingBackend : IAsyncDisposable
{
    private readonly Socket listener;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentQueue<Socket> accepted = new();
    private readonly Task loop;

    private CountingBackend()
    {
        listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}/");
        loop = Task.Run(() => LoopbackAccept.EachAsync(listener, socket =>
        {
            accepted.Enqueue(socket);
            return ServeAsync(socket);
        }, stop.Token));
    }

    public Uri Url { get; }

    /// <summary>Per exchange, in order: the connection's client port, the request's and response's bytes, and the kernel's data segments in and out once the request was read.</summary>
    public ConcurrentQueue<(int Port, int RequestBytes, int ResponseBytes, long SegsIn, long SegsOut)> Exchanges { get; } = new();

    public static CountingBackend Start() => new();

    /// <summary>The data segments the kernel of the connection from <paramref name="port"/> has sent and received so far.</summary>
    public (long SegsIn, long SegsOut) KernelSegments(int port) =>
        accepted.First(s => ((IPEndPoint)s.RemoteEndPoint!).Port == port) is var socket ? Segments(socket) : default;

    private static (long SegsIn, long SegsOut) Segments(Socket socket) =>
        RawHttpClient.KernelCounts(socket) is var counts ? (counts.DataSegsIn, counts.DataSegsOut) : default;

    private async Task ServeAsync(Socket socket)
    {
        int port = ((IPEndPoint)socket.RemoteEndPoint!).Port;
        using var stream = new NetworkStream(socket, ownsSocket: false);
        byte[] one = new byte[1];
        try
        {
            while (true)
            {
                // One byte at a time: the count is exactly this request's, never a read-ahead of the next.
                var head = new List<byte>();
                while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
                {
                    if (await stream.ReadAsync(one, stop.Token) == 0)
                        return;
                    head.Add(one[0]);
                }
                var (segsIn, segsOut) = Segments(socket);
                string target = Encoding.ASCII.GetString(head.ToArray()).Split(' ')[1];
                int size = target.Contains("size=", StringComparison.Ordinal) ? int.Parse(target[(target.IndexOf("size=", StringComparison.Ordinal) + 5)..]) : 2;
                byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {size}\r\n\r\n{new string('y', size)}");
                Exchanges.Enqueue((port, head.Count, response.Length, segsIn, segsOut));
                await stream.WriteAsync(response, stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Dispose();
        await loop;
        foreach (Socket socket in accepted)
            socket.Dispose();
        stop.Dispose();
    }
}
