using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EndToEnd.Tests;

/// <summary>What a <see cref="FaultyBackend"/> does with each connection.</summary>
internal enum BackendFault
{
    /// <summary>Reads the request, sends the head and part of the body, then resets the connection.</summary>
    ResetMidResponse,

    /// <summary>Reads the request and never answers (the connection stays open).</summary>
    Silent,

    /// <summary>Reads the request, waits 2 s, then answers 200 with a small body.</summary>
    SlowAnswer,
}

/// <summary>A raw TCP backend on 127.0.0.1 that misbehaves in one chosen way; every connection it accepted is closed on dispose.</summary>
internal sealed class FaultyBackend : IAsyncDisposable
{
    private readonly Socket listener;
    private readonly CancellationTokenSource stop = new();
    private readonly List<Socket> accepted = [];
    private readonly Task loop;

    private FaultyBackend(BackendFault fault)
    {
        listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}/");
        // Bounded by the test's lifetime (stop) and by the few requests a test sends.
        loop = Task.Run(() => LoopbackAccept.EachAsync(listener, client =>
        {
            lock (accepted)
                accepted.Add(client);
            return ServeAsync(client, fault);
        }, stop.Token));
    }

    public Uri Url { get; }

    public static FaultyBackend Start(BackendFault fault) => new(fault);

    private async Task ServeAsync(Socket client, BackendFault fault)
    {
        try
        {
            byte[] buffer = new byte[8192];
            var head = new StringBuilder();
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int n = await client.ReceiveAsync(buffer, stop.Token);
                if (n == 0)
                    return;
                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            if (fault == BackendFault.ResetMidResponse)
            {
                await client.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n" + new string('x', 1000)));
                await Task.Delay(200);
                // Linger 0: close sends a RST instead of a FIN.
                client.LingerState = new LingerOption(true, 0);
                client.Close();
            }
            else if (fault == BackendFault.SlowAnswer)
            {
                await Task.Delay(2000, stop.Token);
                await client.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nslow"));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Dispose();
        await loop;
        lock (accepted)
        {
            foreach (Socket s in accepted)
                s.Dispose();
        }
        stop.Dispose();
    }
}
