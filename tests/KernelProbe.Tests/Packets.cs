using System.Buffers.Binary;
using System.Net;

namespace KernelProbe.Tests;

/// <summary>Builds Ethernet/IPv4/IPv6/TCP frames byte by byte for BPF_PROG_TEST_RUN.</summary>
internal sealed record TcpFrame
{
    public IPAddress Source { get; init; } = IPAddress.Parse("198.18.0.1");
    public IPAddress Destination { get; init; } = IPAddress.Parse("198.18.0.2");
    public ushort SourcePort { get; init; } = 40000;
    public ushort DestinationPort { get; init; } = 8080;
    public byte Ttl { get; init; } = 64;
    public byte Tos { get; init; }
    public uint Seq { get; init; } = 1000;
    public uint Ack { get; init; }
    public byte Version { get; init; }
    public ushort[] VlanTpids { get; init; } = [];
    public ushort? EtherTypeOverride { get; init; }
    public (byte Type, int Length, ushort FragmentField)[] IPv6Extensions { get; init; } = [];
    public byte Flags { get; init; } = Tcp.Syn;
    public ushort Window { get; init; } = 64240;
    public byte[] Options { get; init; } = [];
    public int Payload { get; init; }
    public byte[] IPv4Options { get; init; } = [];
    public ushort FragmentField { get; init; }
    public byte? DataOffsetOverride { get; init; }
    public byte? IhlOverride { get; init; }
    public byte Protocol { get; init; } = 6;

    public bool IsIPv6 => Source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    public byte[] Build()
    {
        int tcpLen = 20 + Options.Length;
        byte[] tcp = new byte[tcpLen + Payload];
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(0), SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), Seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), Ack);
        tcp[12] = (byte)((DataOffsetOverride ?? (byte)(tcpLen / 4)) << 4);
        tcp[13] = Flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), Window);
        Options.CopyTo(tcp, 20);

        byte[] ip;
        ushort etherType;
        if (IsIPv6)
        {
            etherType = 0x86DD;
            byte[] ext = BuildIPv6Extensions();
            ip = new byte[40 + ext.Length];
            ip[0] = (byte)(((Version == 0 ? 6 : Version) << 4) | (Tos >> 4));
            ip[1] = (byte)((Tos & 0x0f) << 4);
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(ext.Length + tcp.Length));
            ip[6] = IPv6Extensions.Length > 0 ? IPv6Extensions[0].Type : Protocol;
            ip[7] = Ttl;
            Source.GetAddressBytes().CopyTo(ip, 8);
            Destination.GetAddressBytes().CopyTo(ip, 24);
            ext.CopyTo(ip, 40);
        }
        else
        {
            etherType = 0x0800;
            int ihl = 20 + IPv4Options.Length;
            ip = new byte[ihl];
            ip[0] = (byte)(((Version == 0 ? 4 : Version) << 4) | (IhlOverride ?? (byte)(ihl / 4)));
            ip[1] = Tos;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)(ihl + tcp.Length));
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(6), FragmentField);
            ip[8] = Ttl;
            ip[9] = Protocol;
            Source.GetAddressBytes().CopyTo(ip, 12);
            Destination.GetAddressBytes().CopyTo(ip, 16);
            IPv4Options.CopyTo(ip, 20);
        }

        byte[] l2 = new byte[12 + 4 * VlanTpids.Length + 2];
        new byte[] { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1 }.CopyTo(l2, 0);
        for (int i = 0; i < VlanTpids.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(l2.AsSpan(12 + 4 * i), VlanTpids[i]);
            BinaryPrimitives.WriteUInt16BigEndian(l2.AsSpan(14 + 4 * i), (ushort)(100 + i));
        }
        BinaryPrimitives.WriteUInt16BigEndian(l2.AsSpan(l2.Length - 2), EtherTypeOverride ?? etherType);
        return [.. l2, .. ip, .. tcp];
    }

    private byte[] BuildIPv6Extensions()
    {
        var bytes = new List<byte>();
        for (int i = 0; i < IPv6Extensions.Length; i++)
        {
            (byte type, int length, ushort fragment) = IPv6Extensions[i];
            byte next = i + 1 < IPv6Extensions.Length ? IPv6Extensions[i + 1].Type : Protocol;
            byte[] header = new byte[length];
            header[0] = next;
            header[1] = type switch
            {
                44 => 0,
                51 => (byte)(length / 4 - 2),
                _ => (byte)(length / 8 - 1),
            };
            if (type == 44)
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), fragment);
            bytes.AddRange(header);
        }
        return [.. bytes];
    }

    /// <summary>The 12 bytes of NOP, NOP, timestamps that Linux puts on every later segment.</summary>
    public static byte[] TimestampOptions() => [1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1];

    /// <summary>The options Linux puts on a SYN: MSS, SACK-permitted, timestamps, NOP, window scale.</summary>
    public static byte[] LinuxSynOptions(ushort mss, byte wscale) =>
    [
        2, 4, (byte)(mss >> 8), (byte)mss,
        4, 2,
        8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
        1,
        3, 3, wscale,
    ];
}

internal static class Tcp
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
}
