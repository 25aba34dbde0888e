using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EndToEnd.Tests;

/// <summary>
/// An HTTP/1.1 client over a socket the test configures itself (TTL, TOS, MSS
/// set before connect), so that the test knows exactly what the wire carried.
/// </summary>
internal sealed class RawHttpClient : IDisposable
{
    private const int IpProtoTcp = 6;
    private const int TcpMaxSeg = 2;
    private const int TcpInfo = 11;
    private const int TcpQuickAck = 12;
    private const int Ipv6UnicastHops = 16;
    private const int Ipv6TClass = 67;
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private int received;

    private RawHttpClient(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: false);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)socket.LocalEndPoint!;

    /// <summary>The bytes of the latest request as sent, and of the latest response as read (head and body).</summary>
    public (int Sent, int Received) LastExchange { get; private set; }

    /// <summary>
    /// What this socket's own kernel counted so far (getsockopt TCP_INFO): payload bytes sent and received,
    /// and segments with payload sent and received. Independent of the gateway's BPF programs.
    /// </summary>
    public (long BytesSent, long BytesReceived, long DataSegsOut, long DataSegsIn) KernelCounts() => KernelCounts(socket);

    /// <summary>As <see cref="KernelCounts()"/>, for any connected TCP socket (a test backend's too).</summary>
    public static (long BytesSent, long BytesReceived, long DataSegsOut, long DataSegsIn) KernelCounts(Socket socket)
    {
        byte[] info = new byte[232];
        int length = socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
        if (length < 208)
            throw new InvalidOperationException($"TCP_INFO gave {length} bytes; tcpi_bytes_sent needs a kernel from 4.19 on");
        return ((long)BitConverter.ToUInt64(info, 200), (long)BitConverter.ToUInt64(info, 128), BitConverter.ToUInt32(info, 156), BitConverter.ToUInt32(info, 152));
    }

    /// <summary>Sends the acknowledgment the kernel holds back (delayed ACK) now (TCP_QUICKACK).</summary>
    public void AcknowledgeNow() => socket.SetRawSocketOption(IpProtoTcp, TcpQuickAck, BitConverter.GetBytes(1));

    /// <summary>How long <see cref="GetAsync"/> waits after sending a request before it reads the response (a slow reader).</summary>
    public TimeSpan ReadDelay { get; set; }

    /// <summary>
    /// Connects with the given socket options; <paramref name="receiveBuffer"/> (SO_RCVBUF), when set, holds back a response
    /// the client does not read; <paramref name="source"/>, when set, is the address the connection comes from.
    /// </summary>
    public static async Task<RawHttpClient> ConnectAsync(Uri gateway, int ttl, int tos, int mss, int? receiveBuffer = null, IPAddress? source = null)
    {
        IPAddress address = IPAddress.Parse(gateway.Host.Trim('[', ']'));
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (source is not null)
            socket.Bind(new IPEndPoint(source, 0));
        if (receiveBuffer is { } size)
            socket.ReceiveBufferSize = size;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.SetRawSocketOption((int)SocketOptionLevel.IPv6, Ipv6UnicastHops, BitConverter.GetBytes(ttl));
            socket.SetRawSocketOption((int)SocketOptionLevel.IPv6, Ipv6TClass, BitConverter.GetBytes(tos));
        }
        else
        {
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, ttl);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, tos);
        }
        socket.SetRawSocketOption(IpProtoTcp, TcpMaxSeg, BitConverter.GetBytes(mss));
        await socket.ConnectAsync(address, gateway.Port);
        return new RawHttpClient(socket);
    }

    /// <summary>Sends one GET with the given extra headers and returns status and body.</summary>
    public async Task<(int Status, string Body)> GetAsync(string path, params (string Name, string Value)[] headers)
    {
        var request = new StringBuilder();
        request.Append($"GET {path} HTTP/1.1\r\nHost: gateway.test\r\nUser-Agent: e2e-raw/1.0\r\n");
        foreach ((string name, string value) in headers)
            request.Append($"{name}: {value}\r\n");
        request.Append("\r\n");
        byte[] bytes = Encoding.ASCII.GetBytes(request.ToString());
        await stream.WriteAsync(bytes);
        received = 0;
        if (ReadDelay > TimeSpan.Zero)
            await Task.Delay(ReadDelay);

        string head = await ReadHeadAsync();
        string[] lines = head.Split("\r\n");
        int status = int.Parse(lines[0].Split(' ')[1]);
        int length = lines.Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("content-length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim())).FirstOrDefault();
        bool chunked = lines.Any(l => l.StartsWith("transfer-encoding:", StringComparison.OrdinalIgnoreCase) && l.Contains("chunked", StringComparison.OrdinalIgnoreCase));
        string body = chunked ? await ReadChunkedAsync() : Encoding.UTF8.GetString(await ReadExactlyAsync(length));
        LastExchange = (bytes.Length, received);
        return (status, body);
    }

    private async Task<string> ReadHeadAsync()
    {
        var bytes = new List<byte>();
        byte[] one = new byte[1];
        while (!(bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
                throw new IOException("the gateway closed the connection mid-response");
            received++;
            bytes.Add(one[0]);
        }
        return Encoding.ASCII.GetString(bytes.ToArray(), 0, bytes.Count - 4);
    }

    private async Task<byte[]> ReadExactlyAsync(int count)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        received += count;
        return buffer;
    }

    private async Task<string> ReadChunkedAsync()
    {
        var body = new StringBuilder();
        while (true)
        {
            string sizeLine = await ReadLineAsync();
            int size = Convert.ToInt32(sizeLine.Split(';')[0].Trim(), 16);
            if (size == 0)
            {
                await ReadLineAsync();
                return body.ToString();
            }
            body.Append(Encoding.UTF8.GetString(await ReadExactlyAsync(size)));
            await ReadLineAsync();
        }
    }

    private async Task<string> ReadLineAsync()
    {
        var bytes = new List<byte>();
        byte[] one = new byte[1];
        while (bytes.Count < 2 || bytes[^2] != '\r' || bytes[^1] != '\n')
        {
            if (await stream.ReadAsync(one) == 0)
                throw new IOException("the gateway closed the connection mid-chunk");
            received++;
            bytes.Add(one[0]);
        }
        return Encoding.ASCII.GetString(bytes.ToArray(), 0, bytes.Count - 2);
    }

    public void Dispose()
    {
        stream.Dispose();
        socket.Dispose();
    }
}
