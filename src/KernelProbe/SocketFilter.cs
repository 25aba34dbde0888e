using System.Net.Sockets;

namespace KernelProbe;

/// <summary>
/// Attaches a socket-filter program to one socket (SO_ATTACH_BPF). The filter
/// lives as long as the socket; a listening socket passes it on to every
/// connection it accepts, so one attach covers all of them.
/// </summary>
public static class SocketFilter
{
    private const int SolSocket = 1;
    private const int SoAttachBpf = 50;
    private const int SoCookie = 57;

    /// <summary>Attaches <paramref name="program"/> to <paramref name="socket"/>.</summary>
    public static void Attach(Socket socket, BpfProgram program)
    {
        Span<byte> fd = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(fd, program.Fd);
        try
        {
            socket.SetRawSocketOption(SolSocket, SoAttachBpf, fd);
        }
        catch (SocketException e)
        {
            throw new ProbeException($"attach socket filter {program.Name} to {Describe(socket)}", Errno(e), inner: e);
        }
    }

    /// <summary>The kernel's unique, never-reused cookie of <paramref name="socket"/> (SO_COOKIE).</summary>
    public static ulong Cookie(Socket socket)
    {
        Span<byte> value = stackalloc byte[sizeof(ulong)];
        try
        {
            socket.GetRawSocketOption(SolSocket, SoCookie, value);
        }
        catch (SocketException e)
        {
            throw new ProbeException($"read SO_COOKIE of {Describe(socket)}", Errno(e), inner: e);
        }
        return BitConverter.ToUInt64(value);
    }

    private static int Errno(SocketException e) => e.NativeErrorCode > 0 ? e.NativeErrorCode : 0;

    private static string Describe(Socket socket) =>
        socket.LocalEndPoint is { } local ? $"socket {local}" : $"{socket.AddressFamily} socket";
}
