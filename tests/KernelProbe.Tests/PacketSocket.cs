using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace KernelProbe.Tests;

/// <summary>
/// An AF_PACKET socket bound to one interface: an independent capture of what
/// crosses it, and a way to put frames back on it (marked, so a fault program
/// lets them through). Created inside the namespace that owns the interface.
/// </summary>
internal sealed partial class PacketSocket : IDisposable
{
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const ushort EthPAll = 0x0003;
    private const int SolSocket = 1;
    private const int SoMark = 36;
    private const int SoRcvTimeo = 20;
    private const byte PacketOutgoing = 4;
    private readonly int fd;

    public PacketSocket(string interfaceName, uint mark = 0)
    {
        fd = Socket(AfPacket, SockRaw, BinaryPrimitives.ReverseEndianness(EthPAll));
        if (fd < 0)
            throw new InvalidOperationException($"AF_PACKET socket: errno {Marshal.GetLastPInvokeError()}");
        IfIndex = (int)IfNameToIndex(interfaceName);
        if (IfIndex == 0)
            throw new InvalidOperationException($"no interface {interfaceName}");
        Span<byte> address = stackalloc byte[20];
        BinaryPrimitives.WriteUInt16LittleEndian(address, AfPacket);
        BinaryPrimitives.WriteUInt16BigEndian(address[2..], EthPAll);
        BinaryPrimitives.WriteInt32LittleEndian(address[4..], IfIndex);
        if (Bind(fd, address, address.Length) != 0)
            throw new InvalidOperationException($"bind AF_PACKET to {interfaceName}: errno {Marshal.GetLastPInvokeError()}");
        if (mark != 0 && SetSockOpt(fd, SolSocket, SoMark, ref mark, sizeof(uint)) != 0)
            throw new InvalidOperationException($"SO_MARK: errno {Marshal.GetLastPInvokeError()}");
        long[] timeout = [0, 100_000]; // 100 ms, so readers notice disposal
        if (SetSockOptTimeval(fd, SolSocket, SoRcvTimeo, timeout, 16) != 0)
            throw new InvalidOperationException($"SO_RCVTIMEO: errno {Marshal.GetLastPInvokeError()}");
    }

    public int IfIndex { get; }

    public void Send(ReadOnlySpan<byte> frame)
    {
        if (Write(fd, frame, (nuint)frame.Length) < 0)
            throw new InvalidOperationException($"AF_PACKET send: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Next frame, whether the host sent it, or null after the 100 ms timeout.</summary>
    public (byte[] Frame, bool Outgoing)? Receive()
    {
        byte[] buffer = new byte[65536];
        Span<byte> from = stackalloc byte[20];
        int fromLen = from.Length;
        nint n = RecvFrom(fd, buffer, (nuint)buffer.Length, 0, from, ref fromLen);
        if (n < 0)
            return null;
        return (buffer[..(int)n], from[10] == PacketOutgoing);
    }

    public void Dispose() => Close(fd);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, ReadOnlySpan<byte> address, int length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, ref uint value, int length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOptTimeval(int fd, int level, int name, long[] value, int length);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, ReadOnlySpan<byte> buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    private static partial nint RecvFrom(int fd, byte[] buffer, nuint length, int flags, Span<byte> from, ref int fromLength);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint IfNameToIndex(string name);
}

/// <summary>Every frame crossing an interface, captured on a background thread.</summary>
internal sealed class Capture : IDisposable
{
    private readonly PacketSocket socket;
    private readonly List<CapturedSegment> segments = [];
    private readonly Thread thread;
    private volatile bool stopping;

    public Capture(string interfaceName)
    {
        socket = new PacketSocket(interfaceName);
        thread = new Thread(() =>
        {
            while (!stopping)
            {
                if (socket.Receive() is { } got && CapturedSegment.Parse(got.Frame, got.Outgoing) is { } segment)
                    lock (segments) segments.Add(segment);
            }
        }) { IsBackground = true };
        thread.Start();
    }

    public IReadOnlyList<CapturedSegment> Segments
    {
        get { lock (segments) return segments.ToList(); }
    }

    /// <summary>
    /// The segments once <paramref name="complete"/> holds for them (at most 5 s): the reader
    /// thread drains its socket on its own schedule, which on a loaded machine lags the kernel
    /// record that a test waited for first.
    /// </summary>
    public IReadOnlyList<CapturedSegment> WaitUntil(Func<IReadOnlyList<CapturedSegment>, bool> complete)
    {
        IReadOnlyList<CapturedSegment> seen = Segments;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!complete(seen) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
            seen = Segments;
        }
        return seen;
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join();
        socket.Dispose();
    }
}

/// <summary>
/// A TCP segment as the capture saw it, decoded by this test code on its own,
/// independently of the BPF parsers it is compared with.
/// </summary>
internal sealed record CapturedSegment(
    bool Outgoing, string Source, int SourcePort, string Destination, int DestinationPort,
    int Ttl, int Tos, bool DontFragment, byte Flags, uint Seq, int Window,
    string OptionKinds, int? Mss, int? WindowScale, int Payload)
{
    public bool IsSyn => (Flags & 0x02) != 0;

    public bool IsAck => (Flags & 0x10) != 0;

    public static CapturedSegment? Parse(byte[] frame, bool outgoing)
    {
        if (frame.Length < 14)
            return null;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
        int ip = 14;
        int l4;
        int ttl, tos, payloadTotal;
        bool df;
        string src, dst;
        if (type == 0x0800)
        {
            if (frame[ip + 9] != 6)
                return null;
            int ihl = (frame[ip] & 0x0f) * 4;
            tos = frame[ip + 1];
            payloadTotal = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(ip + 2)) - ihl;
            df = (frame[ip + 6] & 0x40) != 0;
            ttl = frame[ip + 8];
            src = new System.Net.IPAddress(frame.AsSpan(ip + 12, 4)).ToString();
            dst = new System.Net.IPAddress(frame.AsSpan(ip + 16, 4)).ToString();
            l4 = ip + ihl;
        }
        else if (type == 0x86DD)
        {
            if (frame[ip + 6] != 6)
                return null;
            tos = ((frame[ip] & 0x0f) << 4) | (frame[ip + 1] >> 4);
            payloadTotal = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(ip + 4));
            df = false;
            ttl = frame[ip + 7];
            src = new System.Net.IPAddress(frame.AsSpan(ip + 8, 16)).ToString();
            dst = new System.Net.IPAddress(frame.AsSpan(ip + 24, 16)).ToString();
            l4 = ip + 40;
        }
        else
        {
            return null;
        }
        int dataOffset = (frame[l4 + 12] >> 4) * 4;
        var kinds = new List<int>();
        int? mss = null, wscale = null;
        for (int o = l4 + 20; o < l4 + dataOffset;)
        {
            byte kind = frame[o];
            kinds.Add(kind);
            if (kind == 0)
                break;
            if (kind == 1)
            {
                o++;
                continue;
            }
            byte len = frame[o + 1];
            if (kind == 2 && len == 4)
                mss = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(o + 2));
            if (kind == 3 && len == 3)
                wscale = frame[o + 2];
            o += Math.Max((int)len, 2);
        }
        return new CapturedSegment(outgoing, src, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4)),
            dst, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4 + 2)), ttl, tos, df, frame[l4 + 13],
            BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(l4 + 4)), BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4 + 14)),
            string.Join('-', kinds), mss, wscale, payloadTotal - dataOffset);
    }
}
