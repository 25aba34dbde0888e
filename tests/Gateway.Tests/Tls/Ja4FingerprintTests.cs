using Gateway.Tls;
using static Gateway.Tests.Tls.ClientHelloBuilder;

namespace Gateway.Tests.Tls;

public class Ja4FingerprintTests
{
    // The example of FoxIO-LLC/ja4 technical_details/JA4.md (BSD-3-Clause): its cipher and extension lists in wire order.
    private static readonly ushort[] ExampleCiphers = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
    private static readonly ushort[] ExampleExtensions = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];
    private static readonly ushort[] ExampleSignatureAlgorithms = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

    [Theory]
    [MemberData(nameof(Ja4Vector.Names), MemberType = typeof(Ja4Vector))]
    public void Vector_GivesTheReferenceToolsJa4(string name)
    {
        var vector = Ja4Vector.Named(name);
        var feature = Observe(vector.Bytes);
        Assert.Equal(ClientHelloFailure.None, feature.Failure);
        Assert.Equal(vector.ExpectedJa4, feature.Ja4);
    }

    [Theory]
    [MemberData(nameof(Ja4Vector.Names), MemberType = typeof(Ja4Vector))]
    public void Vector_ArrivingInSmallPieces_GivesTheSameJa4(string name)
    {
        var vector = Ja4Vector.Named(name);
        foreach (var piece in new[] { 1, 3, 5, 7, 100, 1460 })
        {
            Assert.Equal(vector.ExpectedJa4, Observe(vector.Bytes, piece).Ja4);
        }
    }

    [Theory]
    [MemberData(nameof(Ja4Vector.Names), MemberType = typeof(Ja4Vector))]
    public void Vector_ReframedIntoManyRecords_GivesTheSameJa4(string name)
    {
        // The same ClientHello message cut into records of 61 bytes, as RFC 8446 5.1 allows.
        var vector = Ja4Vector.Named(name);
        var message = MessageOf(vector.Bytes);
        var records = InRecords(message, 61);
        Assert.True(records.Length > vector.Bytes.Length + 5);
        Assert.Equal(vector.ExpectedJa4, Observe(records, 17).Ja4);
    }

    [Fact]
    public void Vector_FollowedByMoreData_StopsAtTheEndOfTheClientHello()
    {
        var vector = Ja4Vector.All[0];
        // The hello and, in the same read, bytes of a record after it (what a client sends next).
        byte[] bytes = [.. vector.Bytes, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01];
        Assert.Equal(vector.ExpectedJa4, Observe(bytes).Ja4);
    }

    [Fact]
    public void SpecExample_GivesTheSpecsFingerprint()
    {
        Assert.Equal("t13d1516h2_8daaf6152771_e5627efa2ab1", Ja4Fingerprint.Compute(Example(ExampleSignatureAlgorithms)));
    }

    [Fact]
    public void SpecExample_WithoutSignatureAlgorithms_HashesTheExtensionsAlone()
    {
        // JA4.md: "0005,...,ff01 = 6d807ffa2a79" when there are no signature algorithms.
        Assert.Equal("t13d1516h2_8daaf6152771_6d807ffa2a79", Ja4Fingerprint.Compute(Example([])));
    }

    [Fact]
    public void Grease_AnywhereInTheHello_IsIgnored()
    {
        var plain = Example(ExampleSignatureAlgorithms);
        var greased = Example(ExampleSignatureAlgorithms, grease: true);
        Assert.Equal(ExampleCiphers.Length + 1, greased.CipherSuites.Length);
        Assert.Equal(Ja4Fingerprint.Compute(plain), Ja4Fingerprint.Compute(greased));
    }

    [Theory]
    [InlineData((ushort)0x0A0A, true)]
    [InlineData((ushort)0xFAFA, true)]
    [InlineData((ushort)0x3A3A, true)]
    [InlineData((ushort)0x0A1A, false)]
    [InlineData((ushort)0x0B0B, false)]
    [InlineData((ushort)0x1301, false)]
    public void Grease_IsTheSixteenReservedValues(ushort value, bool grease) => Assert.Equal(grease, TlsGrease.Is(value));

    [Fact]
    public void NoServerName_IsI_AndNoAlpn_Is00()
    {
        var hello = Read(new ClientHelloBuilder
        {
            Ciphers = [0x1301],
            Extensions = [(0x002b, Versions(0x0304, 0x0303)), (0x000d, U16List(0x0403))],
        });
        Assert.StartsWith("t13i010200_", Ja4Fingerprint.Compute(hello), StringComparison.Ordinal);
    }

    [Fact]
    public void Tls12_WithoutSupportedVersions_TakesTheLegacyVersion()
    {
        var hello = Read(new ClientHelloBuilder { LegacyVersion = 0x0303, Ciphers = [0xc02f, 0x009c], Extensions = [(0x0000, ServerName("a.example"))] });
        Assert.StartsWith("t12d0201", Ja4Fingerprint.Compute(hello), StringComparison.Ordinal);
        Assert.Equal("a.example", hello.ServerName);
    }

    [Fact]
    public void NoExtensionsAtAll_GivesZeroCountsAndTheEmptyHash()
    {
        var hello = Read(new ClientHelloBuilder { LegacyVersion = 0x0301, Ciphers = [0x002f], NoExtensionBlock = true });
        Assert.Equal("t10i010000_" + Ja4Fingerprint.Compute(hello).Split('_')[1] + "_000000000000", Ja4Fingerprint.Compute(hello));
    }

    [Fact]
    public void NoCiphers_GivesTheEmptyCipherHash()
    {
        var hello = Read(new ClientHelloBuilder { Ciphers = [], Extensions = [(0x002b, Versions(0x0304))] });
        Assert.Equal("000000000000", Ja4Fingerprint.Compute(hello).Split('_')[1]);
    }

    [Fact]
    public void MoreThan99Ciphers_CountAs99()
    {
        var hello = Read(new ClientHelloBuilder { Ciphers = [.. Enumerable.Range(1, 120).Select(i => (ushort)i)], NoExtensionBlock = true });
        Assert.StartsWith("t12i9900", Ja4Fingerprint.Compute(hello), StringComparison.Ordinal);
    }

    [Theory]
    // The table of JA4.md for a first ALPN value whose first or last byte is not alphanumeric,
    // except a first byte above 0x7F: "99", as FoxIO's Python, Rust and Wireshark tools write it
    // (JA4.md would say "ab" and "ad"; see Ja4Fingerprint.Alpn).
    [InlineData("ab", "99")]
    [InlineData("abcd", "99")]
    [InlineData("20", "20")]
    [InlineData("2061", "21")]
    [InlineData("30ab", "3b")]
    [InlineData("6120", "60")]
    [InlineData("3031abcd", "3d")]
    [InlineData("30abcd31", "01")]
    [InlineData("6832", "h2")]
    [InlineData("687474702f312e31", "h1")]
    [InlineData("68", "hh")]
    [InlineData("", "00")]
    public void Alpn_FirstAndLastCharacter_OrHexDigits(string firstValueHex, string expected)
    {
        var hello = Read(new ClientHelloBuilder { Extensions = [(0x0010, Alpn(Convert.FromHexString(firstValueHex), "h2"u8.ToArray()))] });
        Assert.Equal(expected, Ja4Fingerprint.Compute(hello).Substring(8, 2));
    }

    [Fact]
    public void ServerName_WithBytesOutsidePrintableAscii_IsEscaped()
    {
        byte[] name = [.. "a\n"u8, 0xC3, 0xA9, .. "\\b"u8];
        byte[] data = [.. U16(name.Length + 3), 0, .. U16(name.Length), .. name];
        var hello = Read(new ClientHelloBuilder { Extensions = [(0x0000, data)] });
        Assert.Equal("a\\x0a\\xc3\\xa9\\x5cb", hello.ServerName);
    }

    private static ClientHello Example(ushort[] signatureAlgorithms, bool grease = false)
    {
        var extensions = new List<(ushort, byte[])>();
        if (grease)
        {
            extensions.Add((0x2A2A, []));
        }

        foreach (var type in ExampleExtensions)
        {
            extensions.Add((type, type switch
            {
                0x0000 => ServerName("example.com"),
                0x0010 => Alpn("h2", "http/1.1"),
                0x002b => grease ? Versions(0x7A7A, 0x0304, 0x0303) : Versions(0x0304, 0x0303),
                0x000d => U16List(grease ? [0x5A5A, .. signatureAlgorithms] : signatureAlgorithms),
                _ => [],
            }));
        }

        return Read(new ClientHelloBuilder
        {
            Ciphers = grease ? [0x9A9A, .. ExampleCiphers] : ExampleCiphers,
            Extensions = extensions,
        });
    }

    internal static ClientHello Read(ClientHelloBuilder builder)
    {
        var feature = Observe(builder.Records());
        Assert.Equal(ClientHelloFailure.None, feature.Failure);
        return feature.ClientHello!;
    }

    /// <summary>Feeds <paramref name="bytes"/> to an observer in pieces of <paramref name="piece"/> bytes and ends the input.</summary>
    internal static TlsHelloFeature Observe(byte[] bytes, int piece = int.MaxValue)
    {
        using var observer = new TlsHandshakeObserver(null);
        foreach (var part in bytes.Chunk(Math.Min(piece, bytes.Length)))
        {
            observer.OnInput(new System.Buffers.ReadOnlySequence<byte>(part));
        }

        observer.OnInputEnded();
        return observer.Feature;
    }

    /// <summary>The handshake message carried by <paramref name="records"/>.</summary>
    internal static byte[] MessageOf(byte[] records)
    {
        var message = new List<byte>();
        for (var pos = 0; pos + 5 <= records.Length;)
        {
            var length = (records[pos + 3] << 8) | records[pos + 4];
            message.AddRange(records.AsSpan(pos + 5, length).ToArray());
            pos += 5 + length;
        }

        return [.. message];
    }
}
