using System.Buffers;
using System.IO.Pipelines;
using CsCheck;
using Gateway.Tls;
using static Gateway.Tests.Tls.ClientHelloBuilder;

namespace Gateway.Tests.Tls;

public class TlsHandshakeObserverTests
{
    private static readonly byte[] Random32 = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    [Fact]
    public void Cleartext_FirstByteNotAHandshakeRecord_IsNotTlsAndStopsWatching()
    {
        using var observer = new TlsHandshakeObserver(null);
        observer.OnInput(new ReadOnlySequence<byte>("GET / HTTP/1.1\r\n"u8.ToArray()));
        Assert.False(observer.IsTls);
        Assert.False(observer.WatchingInput);
        Assert.Null(observer.Feature.Ja4);
        Assert.Equal(ClientHelloFailure.None, observer.Feature.Failure);
    }

    [Fact]
    public void ConnectionEndingMidHello_IsTruncated()
    {
        var bytes = Ja4Vector.All[0].Bytes;
        var feature = Ja4FingerprintTests.Observe(bytes[..(bytes.Length / 2)]);
        Assert.Equal(ClientHelloFailure.Truncated, feature.Failure);
        Assert.Null(feature.Ja4);
    }

    [Fact]
    public void ConnectionEndingInsideARecordHeader_IsTruncated() =>
        Assert.Equal(ClientHelloFailure.Truncated, Ja4FingerprintTests.Observe([0x16, 0x03]).Failure);

    [Fact]
    public void DisposedMidHello_CountsAsTruncated()
    {
        var observer = new TlsHandshakeObserver(null);
        observer.OnInput(new ReadOnlySequence<byte>(Ja4Vector.All[0].Bytes[..40]));
        observer.Dispose();
        Assert.Equal(ClientHelloFailure.Truncated, observer.Feature.Failure);
    }

    [Theory]
    [InlineData("1603010000")] // empty record
    [InlineData("1603014001")] // 2^14 + 1
    [InlineData("1602010010")] // not version 3.x
    public void BadRecordHeader_IsMalformedRecord(string hex) =>
        Assert.Equal(ClientHelloFailure.MalformedRecord, Ja4FingerprintTests.Observe([.. Convert.FromHexString(hex), .. new byte[20]]).Failure);

    [Fact]
    public void OtherRecordInsideTheHello_IsMalformedRecord()
    {
        var message = new ClientHelloBuilder().Message();
        byte[] bytes = [.. InRecords(message[..10], 10), .. InRecords(message[10..], 100, recordType: 23)];
        Assert.Equal(ClientHelloFailure.MalformedRecord, Ja4FingerprintTests.Observe(bytes).Failure);
    }

    [Fact]
    public void FirstMessageNotAClientHello_IsNotClientHello() =>
        Assert.Equal(ClientHelloFailure.NotClientHello, Ja4FingerprintTests.Observe(InRecords(Handshake(2, new byte[40]), 100)).Failure);

    [Fact]
    public void DeclaredLengthAboveTheBound_IsTooLargeBeforeBuffering()
    {
        byte[] header = [1, 0x01, 0x00, 0x01]; // 65537 bytes declared
        Assert.Equal(ClientHelloFailure.TooLarge, Ja4FingerprintTests.Observe(InRecords([.. header, .. new byte[100]], 200)).Failure);
    }

    [Theory]
    [InlineData("0303")] // ends inside the random
    [InlineData("0303" + "0000000000000000000000000000000000000000000000000000000000000000" + "21")] // session id longer than 32
    [InlineData("0303" + "0000000000000000000000000000000000000000000000000000000000000000" + "00" + "0003130113" + "0100")] // odd cipher list
    [InlineData("0303" + "0000000000000000000000000000000000000000000000000000000000000000" + "00" + "00021301" + "00")] // no compression method
    [InlineData("0303" + "0000000000000000000000000000000000000000000000000000000000000000" + "00" + "00021301" + "0100" + "0010" + "00000004")] // extension longer than the block
    [InlineData("0303" + "0000000000000000000000000000000000000000000000000000000000000000" + "00" + "00021301" + "0100" + "0004" + "00000000" + "ff")] // bytes after the extensions
    [InlineData("0303" + "0000000000000000000000000000000000000000000000000000000000000000" + "00" + "00021301" + "0100" + "0007" + "002b0003" + "030304")] // supported_versions odd
    [InlineData("0303" + "0000000000000000000000000000000000000000000000000000000000000000" + "00" + "00021301" + "0100" + "0008" + "00100004" + "00020500")] // ALPN name longer than its list
    public void InnerLengthsThatDoNotAddUp_AreMalformed(string bodyHex) =>
        Assert.Equal(ClientHelloFailure.Malformed, Ja4FingerprintTests.Observe(InRecords(Handshake(1, Convert.FromHexString(bodyHex)), 300)).Failure);

    [Fact]
    public void AnyBytesAfterAHandshakeRecordByte_NeverThrow_AndEndDecided()
    {
        Gen.Select(Gen.Byte.Array[0, 600], Gen.Int[1, 64]).Sample((tail, piece) =>
        {
            byte[] bytes = [0x16, .. tail];
            var feature = Ja4FingerprintTests.Observe(bytes, piece);
            // Either a fingerprint or a reason; never neither once the input ended.
            Assert.True(feature.Ja4 is not null ^ feature.Failure != ClientHelloFailure.None);
        }, iter: 2000);
    }

    [Fact]
    public void MutatedVectors_NeverThrow()
    {
        var vector = Ja4Vector.All[2].Bytes;
        Gen.Select(Gen.Int[0, vector.Length - 1], Gen.Byte, Gen.Int[1, 300]).Sample((at, value, piece) =>
        {
            var bytes = (byte[])vector.Clone();
            bytes[at] = value;
            var feature = Ja4FingerprintTests.Observe(bytes, piece);
            // Not a handshake record at all: not TLS, nothing to say; otherwise a fingerprint or a reason.
            var decided = feature.Ja4 is not null ^ feature.Failure != ClientHelloFailure.None;
            Assert.Equal(bytes[0] == 0x16, decided);
        }, iter: 2000);
    }

    [Fact]
    public void Tls13ServerHello_WithPreSharedKey_IsResumed() =>
        Assert.True(Resumed(ServerHello(0x0303, Random32, new byte[32], (0x002b, [3, 4]), (0x0029, [0, 0]))));

    [Fact]
    public void Tls13ServerHello_WithoutPreSharedKey_IsNotResumed() =>
        Assert.False(Resumed(ServerHello(0x0303, Random32, new byte[32], (0x002b, [3, 4]), (0x0033, new byte[36]))));

    [Fact]
    public void HelloRetryRequest_ThenChangeCipherSpec_ThenServerHello_ReadsTheSecondHello()
    {
        var retryRandom = Convert.FromHexString("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C");
        byte[] first = InRecords(ServerHello(0x0303, retryRandom, [], (0x002b, [3, 4])), 1000);
        byte[] ccs = [20, 3, 3, 0, 1, 1];
        byte[] second = InRecords(ServerHello(0x0303, Random32, [], (0x002b, [3, 4]), (0x0029, [0, 0])), 1000);
        Assert.True(ResumedFromRecords([.. first, .. ccs, .. second]));
    }

    [Fact]
    public void Tls12ServerHello_FollowedByCertificate_IsAFullHandshake() =>
        Assert.False(ResumedFromRecords(InRecords([.. ServerHello(0x0303, Random32, [1, 2]), .. Handshake(11, new byte[50])], 1000)));

    [Fact]
    public void Tls12ServerHello_FollowedByChangeCipherSpec_IsResumed() =>
        Assert.True(ResumedFromRecords([.. InRecords(ServerHello(0x0303, Random32, [1, 2]), 1000), 20, 3, 3, 0, 1, 1]));

    [Fact]
    public void Tls12ServerHello_FollowedByNewSessionTicket_IsResumed() =>
        Assert.True(ResumedFromRecords(InRecords([.. ServerHello(0x0303, Random32, [1, 2]), .. Handshake(4, new byte[20])], 7)));

    [Fact]
    public void ServerAlertInsteadOfHello_LeavesResumedUnknown() =>
        Assert.Null(ResumedFromRecords([21, 3, 3, 0, 2, 2, 40]));

    [Fact]
    public async Task ThroughAPipe_ReaderConsumingInSmallSteps_SeesEachByteOnce()
    {
        // The TLS layer reads, consumes part, examines the rest: the observer must still see the stream exactly.
        var vector = Ja4Vector.Named("tls3.pcapng:63250");
        var pipe = new Pipe();
        using var observer = new TlsHandshakeObserver(null);
        var reader = new ObservingPipeReader(pipe.Reader, observer);
        var writing = Task.Run(async () =>
        {
            foreach (var part in vector.Bytes.Chunk(37))
            {
                await pipe.Writer.WriteAsync(part);
            }

            await pipe.Writer.CompleteAsync();
        });

        var total = 0L;
        while (true)
        {
            var result = await reader.ReadAsync();
            var take = Math.Min(result.Buffer.Length, 11);
            total += take;
            reader.AdvanceTo(result.Buffer.GetPosition(take), result.Buffer.End);
            if (result.IsCompleted && take == result.Buffer.Length)
            {
                break;
            }
        }

        await writing;
        Assert.Equal(vector.Bytes.Length, total);
        Assert.Equal(vector.ExpectedJa4, observer.Feature.Ja4);
    }

    [Fact]
    public async Task ThroughAPipeWriter_ServerHelloWrittenInPieces_IsRead()
    {
        var pipe = new Pipe();
        using var observer = new TlsHandshakeObserver(null);
        observer.OnInput(new ReadOnlySequence<byte>(Ja4Vector.All[0].Bytes));
        var writer = new ObservingPipeWriter(pipe.Writer, observer);
        var records = InRecords(ServerHello(0x0303, Random32, [], (0x002b, [3, 4]), (0x0029, [0, 0])), 1000);
        foreach (var part in records.Chunk(9))
        {
            part.CopyTo(writer.GetSpan(part.Length));
            writer.Advance(part.Length);
        }

        await writer.FlushAsync();
        Assert.True(observer.Feature.Resumed);
        Assert.False(observer.WatchingOutput);
        var read = await pipe.Reader.ReadAsync();
        Assert.Equal(records, read.Buffer.ToArray());
    }

    private static bool? Resumed(byte[] serverHello) => ResumedFromRecords(InRecords(serverHello, 1000));

    private static bool? ResumedFromRecords(byte[] records)
    {
        using var observer = new TlsHandshakeObserver(null);
        observer.OnInput(new ReadOnlySequence<byte>(Ja4Vector.All[0].Bytes));
        foreach (var part in records.Chunk(5))
        {
            observer.OnOutput(part);
        }

        return observer.Feature.Resumed;
    }
}
