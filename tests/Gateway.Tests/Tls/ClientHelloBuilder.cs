using System.Buffers.Binary;

namespace Gateway.Tests.Tls;

/// <summary>Writes ClientHello and ServerHello messages and TLS records for tests, field by field.</summary>
internal sealed class ClientHelloBuilder
{
    public ushort LegacyVersion { get; init; } = 0x0303;

    public byte[] SessionId { get; init; } = [];

    public ushort[] Ciphers { get; init; } = [0x1301, 0x1302];

    /// <summary>Extensions in wire order: type and data.</summary>
    public List<(ushort Type, byte[] Data)> Extensions { get; init; } = [];

    /// <summary>Leaves the extensions block out entirely (a TLS 1.2 hello may).</summary>
    public bool NoExtensionBlock { get; init; }

    public static byte[] ServerName(string host)
    {
        var name = System.Text.Encoding.ASCII.GetBytes(host);
        return [.. U16(name.Length + 3), 0, .. U16(name.Length), .. name];
    }

    public static byte[] Alpn(params byte[][] names)
    {
        var list = names.SelectMany(n => (byte[])[(byte)n.Length, .. n]).ToArray();
        return [.. U16(list.Length), .. list];
    }

    public static byte[] Alpn(params string[] names) => Alpn(names.Select(System.Text.Encoding.ASCII.GetBytes).ToArray());

    public static byte[] Versions(params ushort[] versions) => [(byte)(versions.Length * 2), .. versions.SelectMany(U16)];

    public static byte[] U16List(params ushort[] values) => [.. U16(values.Length * 2), .. values.SelectMany(U16)];

    /// <summary>The handshake message (type 1, 3-byte length, body).</summary>
    public byte[] Message()
    {
        var body = new List<byte>();
        body.AddRange(U16(LegacyVersion));
        body.AddRange(new byte[32]);
        body.Add((byte)SessionId.Length);
        body.AddRange(SessionId);
        body.AddRange(U16(Ciphers.Length * 2));
        body.AddRange(Ciphers.SelectMany(U16));
        body.Add(1);
        body.Add(0);
        if (!NoExtensionBlock)
        {
            var extensions = Extensions.SelectMany(e => (byte[])[.. U16(e.Type), .. U16(e.Data.Length), .. e.Data]).ToArray();
            body.AddRange(U16(extensions.Length));
            body.AddRange(extensions);
        }

        return Handshake(1, [.. body]);
    }

    /// <summary>The message in records of at most <paramref name="recordSize"/> bytes each.</summary>
    public byte[] Records(int recordSize = 16384) => InRecords(Message(), recordSize);

    public static byte[] Handshake(byte type, byte[] body) => [type, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];

    public static byte[] InRecords(byte[] message, int recordSize, byte recordType = 22) =>
        message.Chunk(recordSize).SelectMany(part => (byte[])[recordType, 3, 1, .. U16(part.Length), .. part]).ToArray();

    /// <summary>A ServerHello body: version fields, random, the session id echo, a cipher, and the extensions given.</summary>
    public static byte[] ServerHello(ushort legacyVersion, byte[] random, byte[] sessionId, params (ushort Type, byte[] Data)[] extensions)
    {
        var ext = extensions.SelectMany(e => (byte[])[.. U16(e.Type), .. U16(e.Data.Length), .. e.Data]).ToArray();
        byte[] body = [.. U16(legacyVersion), .. random, (byte)sessionId.Length, .. sessionId, 0x13, 0x01, 0, .. U16(ext.Length), .. ext];
        return Handshake(2, body);
    }

    public static byte[] U16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }

    private static IEnumerable<byte> U16(ushort value) => U16((int)value);
}
