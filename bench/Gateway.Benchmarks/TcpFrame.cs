using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Benchmarks;

/// <summary>An Ethernet + IPv4/IPv6 + TCP frame, built byte by byte for BPF_PROG_TEST_RUN.</summary>
internal sealed class TcpFrame
{
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;

    public IPAddress Source { get; init; } = IPAddress.Parse("198.18.0.1");
    public IPAddress Destination { get; init; } = IPAddress.Parse("198.18.0.2");
    public ushort SourcePort { get; init; } = 40000;
    public ushort DestinationPort { get; init; } = 8080;
    public byte Flags { get; init; } = Syn;
    public uint Seq { get; init; } = 1000;
    public ushort Window { get; init; } = 64240;
    public byte[] Options { get; init; } = [];
    public int Payload { get; init; }

    /// <summary>MSS, SACK-permitted, timestamps, NOP, window scale: what Linux puts on a SYN.</summary>
    public static byte[] LinuxSynOptions(ushort mss, byte wscale) =>
        [2, 4, (byte)(mss >> 8), (byte)mss, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, wscale];

    /// <summary>The 12 bytes of NOP, NOP, timestamps that Linux puts on every later segment.</summary>
    public static byte[] TimestampOptions() => [1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1];

    public byte[] Build()
    {
        var tcp = new byte[20 + Options.Length + Payload];
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(0), SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), Seq);
        tcp[12] = (byte)((20 + Options.Length) / 4 << 4);
        tcp[13] = Flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), Window);
        Options.CopyTo(tcp, 20);

        var v6 = Source.AddressFamily == AddressFamily.InterNetworkV6;
        var ip = new byte[v6 ? 40 : 20];
        if (v6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)tcp.Length);
            ip[6] = 6;
            ip[7] = 64;
            Source.GetAddressBytes().CopyTo(ip, 8);
            Destination.GetAddressBytes().CopyTo(ip, 24);
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)(20 + tcp.Length));
            ip[6] = 0x40; // DF
            ip[8] = 64;
            ip[9] = 6;
            Source.GetAddressBytes().CopyTo(ip, 12);
            Destination.GetAddressBytes().CopyTo(ip, 16);
        }

        var frame = new byte[14 + ip.Length + tcp.Length];
        byte[] macs = [0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
        macs.CopyTo(frame, 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), (ushort)(v6 ? 0x86DD : 0x0800));
        ip.CopyTo(frame, 14);
        tcp.CopyTo(frame, 14 + ip.Length);
        return frame;
    }
}
