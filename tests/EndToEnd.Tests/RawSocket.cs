using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EndToEnd.Tests;

/// <summary>Sends exact bytes (which HttpClient would refuse) and reads whatever comes back until the peer closes or goes quiet.</summary>
internal static class RawSocket
{
    public static async Task<string> ExchangeAsync(Uri gateway, byte[] request, TimeSpan? quiet = null)
    {
        IPAddress address = IPAddress.Parse(gateway.Host.Trim('[', ']'));
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address, gateway.Port);
        await socket.SendAsync(request);
        var received = new MemoryStream();
        var buffer = new byte[16384];
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            using var wait = new CancellationTokenSource(quiet ?? TimeSpan.FromSeconds(10));
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, wait.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (n == 0)
            {
                break;
            }

            received.Write(buffer, 0, n);
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    public static byte[] Bytes(string latin1) => Encoding.Latin1.GetBytes(latin1);
}
