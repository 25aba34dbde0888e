using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Support;

/// <summary>One persistent HTTP/1.1 connection over a plain socket: several requests, raw bytes allowed.</summary>
internal sealed class KeepAliveConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private KeepAliveConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    public int LocalPort => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public static async Task<KeepAliveConnection> OpenAsync(Uri gateway)
    {
        var address = IPAddress.Parse(gateway.Host.Trim('[', ']'));
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address, gateway.Port);
        return new KeepAliveConnection(socket);
    }

    /// <summary>Sends a GET with the headers as given (raw lines) and reads the status and body.</summary>
    public Task<(int Status, string Body)> GetAsync(string pathAndQuery, params string[] headers)
    {
        var request = new StringBuilder().Append("GET ").Append(pathAndQuery).Append(" HTTP/1.1\r\nHost: gateway.test\r\n");
        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }

        return SendAsync(Encoding.UTF8.GetBytes(request.Append("\r\n").ToString()));
    }

    /// <summary>Sends exactly <paramref name="request"/> and reads one response.</summary>
    public async Task<(int Status, string Body)> SendAsync(byte[] request)
    {
        await _stream.WriteAsync(request);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var head = await ReadUntilAsync("\r\n\r\n"u8.ToArray(), timeout.Token);
        var lines = Encoding.Latin1.GetString(head).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1]);
        var length = 0;
        var chunked = false;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("content-length", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(value);
            }
            else if (name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                chunked = true;
            }
        }

        var body = new MemoryStream();
        if (chunked)
        {
            while (true)
            {
                var sizeLine = Encoding.ASCII.GetString(await ReadUntilAsync("\r\n"u8.ToArray(), timeout.Token)).TrimEnd();
                var size = Convert.ToInt32(sizeLine.Split(';')[0], 16);
                var chunk = new byte[size + 2];
                await _stream.ReadExactlyAsync(chunk, timeout.Token);
                if (size == 0)
                {
                    break;
                }

                body.Write(chunk, 0, size);
            }
        }
        else if (length > 0)
        {
            var buffer = new byte[length];
            await _stream.ReadExactlyAsync(buffer, timeout.Token);
            body.Write(buffer);
        }

        return (status, Encoding.UTF8.GetString(body.ToArray()));
    }

    private async Task<byte[]> ReadUntilAsync(byte[] terminator, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>(256);
        var one = new byte[1];
        while (bytes.Count < terminator.Length || !bytes[^terminator.Length..].SequenceEqual(terminator))
        {
            if (await _stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("the gateway closed the connection");
            }

            bytes.Add(one[0]);
        }

        return [.. bytes];
    }

    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }
}
