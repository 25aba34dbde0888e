using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Support;

/// <summary>HTTP/1.1 over a plain socket, so a test knows the exact client port.</summary>
internal static class RawHttp
{
    /// <summary>Sends one request with <c>Connection: close</c>; returns the client's local port and the whole response.</summary>
    public static async Task<(int LocalPort, string Response)> GetAsync(Uri gateway, string pathAndQuery, params string[] headers)
    {
        var address = IPAddress.Parse(gateway.Host.Trim('[', ']'));
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address, gateway.Port);
        var localPort = ((IPEndPoint)socket.LocalEndPoint!).Port;

        var request = new StringBuilder()
            .Append("GET ").Append(pathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(gateway.Authority).Append("\r\n");
        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }

        request.Append("Connection: close\r\n\r\n");
        await socket.SendAsync(Encoding.ASCII.GetBytes(request.ToString()));

        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15));
        return (localPort, response);
    }
}
