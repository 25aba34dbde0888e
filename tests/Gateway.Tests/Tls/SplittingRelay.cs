using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Tls;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of the gateway for one connection. It re-frames the client's
/// first handshake message into TLS records of <c>recordSize</c> bytes and sends the bytes in TCP
/// segments of <c>segmentSize</c> bytes, one at a time (Nagle off, a pause between them): a
/// ClientHello that spans several records and several segments, as large key shares make it.
/// Everything after the ClientHello is relayed unchanged, both ways.
/// </summary>
internal sealed class SplittingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _relaying;
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(20));

    public SplittingRelay(int targetPort, int recordSize, int segmentSize)
    {
        _listener.Start();
        _relaying = RelayAsync(targetPort, recordSize, segmentSize);
    }

    /// <summary>The relay's port.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many segments the ClientHello was sent in.</summary>
    public int HelloSegments { get; private set; }

    /// <summary>How many records the ClientHello was re-framed into.</summary>
    public int HelloRecords { get; private set; }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _relaying;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // The relay ends with its connections.
        }

        _stop.Dispose();
    }

    private async Task RelayAsync(int targetPort, int recordSize, int segmentSize)
    {
        using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
        using var server = new TcpClient { NoDelay = true };
        await server.ConnectAsync(IPAddress.Loopback, targetPort, _stop.Token);
        var fromClient = client.GetStream();
        var toServer = server.GetStream();

        var message = await ReadFirstHandshakeMessageAsync(fromClient);
        var records = ClientHelloBuilder.InRecords(message, recordSize);
        HelloRecords = (message.Length + recordSize - 1) / recordSize;
        foreach (var segment in records.Chunk(segmentSize))
        {
            await toServer.WriteAsync(segment, _stop.Token);
            await toServer.FlushAsync(_stop.Token);
            HelloSegments++;
            // Long enough for each write to leave as its own segment.
            await Task.Delay(2, _stop.Token);
        }

        var up = fromClient.CopyToAsync(toServer, _stop.Token);
        var down = server.GetStream().CopyToAsync(fromClient, _stop.Token);
        await Task.WhenAny(up, down);
    }

    // The client's records up to the end of its first handshake message, unwrapped into the message.
    private async Task<byte[]> ReadFirstHandshakeMessageAsync(NetworkStream stream)
    {
        var message = new List<byte>();
        var header = new byte[5];
        while (message.Count < 4 || message.Count < 4 + ((message[1] << 16) | (message[2] << 8) | message[3]))
        {
            await stream.ReadExactlyAsync(header, _stop.Token);
            var body = new byte[(header[3] << 8) | header[4]];
            await stream.ReadExactlyAsync(body, _stop.Token);
            message.AddRange(body);
        }

        return [.. message];
    }
}
