using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.Forwarding;

/// <summary>
/// The local endpoint of a socket straight from the kernel (getsockname). .NET's
/// <see cref="Socket.LocalEndPoint"/> is null while a connect is in flight and after it
/// failed, yet the kernel bound the ephemeral port when the SYN left: that port is what
/// the wire view keyed the attempt by.
/// </summary>
internal static partial class SocketLocalAddress
{
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    /// <summary>The bound local endpoint, or null when the socket has no port yet or the call fails.</summary>
    public static IPEndPoint? Of(Socket socket)
    {
        Span<byte> address = stackalloc byte[28];
        int length = address.Length;
        try
        {
            if (GetSockName(socket.SafeHandle, address, ref length) != 0)
            {
                return null;
            }
        }
        catch (ObjectDisposedException)
        {
            return null;
        }

        ushort family = MemoryMarshal.Read<ushort>(address);
        int port = BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        if (port == 0)
        {
            return null;
        }

        return family switch
        {
            AfInet when length >= 8 => new IPEndPoint(new IPAddress(address[4..8]), port),
            AfInet6 when length >= 24 => new IPEndPoint(new IPAddress(address[8..24]), port),
            _ => null,
        };
    }

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    private static partial int GetSockName(SafeHandle socket, Span<byte> address, ref int length);
}
