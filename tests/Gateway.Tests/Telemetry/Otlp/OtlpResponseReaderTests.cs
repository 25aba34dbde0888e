using Gateway.Telemetry.Otlp;
using Google.Protobuf;
using OtlpReceiver.Protocol.Collector.Logs;
using OtlpReceiver.Protocol.Collector.Trace;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>The hand-written reader against answers serialized by Google.Protobuf and against hand-made bytes.</summary>
public sealed class OtlpResponseReaderTests
{
    [Fact]
    public void TryReadPartialSuccess_TraceResponse_ReadsRejectedSpansAndMessage()
    {
        var response = new ExportTraceServiceResponse
        {
            PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = 3, ErrorMessage = "span too large" },
        };

        Assert.True(OtlpResponseReader.TryReadPartialSuccess(response.ToByteArray(), out var rejected, out var message));
        Assert.Equal(3, rejected);
        Assert.Equal("span too large", message);
    }

    [Fact]
    public void TryReadPartialSuccess_LogsResponse_ReadsRejectedLogRecords()
    {
        var response = new ExportLogsServiceResponse
        {
            PartialSuccess = new ExportLogsPartialSuccess { RejectedLogRecords = 5_000_000_000 },
        };

        Assert.True(OtlpResponseReader.TryReadPartialSuccess(response.ToByteArray(), out var rejected, out var message));
        Assert.Equal(5_000_000_000, rejected);
        Assert.Null(message);
    }

    [Fact]
    public void TryReadPartialSuccess_EmptyResponse_IsFullSuccess()
    {
        Assert.True(OtlpResponseReader.TryReadPartialSuccess([], out var rejected, out var message));
        Assert.Equal(0, rejected);
        Assert.Null(message);
    }

    [Fact]
    public void TryReadPartialSuccess_UnknownFieldsOfEveryWireType_AreSkipped()
    {
        byte[] bytes =
        [
            0x10, 0x96, 0x01, // field 2, varint 150
            0x19, 1, 2, 3, 4, 5, 6, 7, 8, // field 3, fixed64
            0x25, 1, 2, 3, 4, // field 4, fixed32
            0x0A, 26, // field 1 (partial_success), 26 bytes:
                0x08, 0x07, // rejected = 7
                0x1A, 0x02, 0xFF, 0xFF, // field 3, length-delimited
                0x12, 0x02, (byte)'n', (byte)'o', // error_message = "no"
                0x20, 0x01, // field 4, varint
                0x2D, 1, 2, 3, 4, // field 5, fixed32
                0x31, 1, 2, 3, 4, 5, 6, 7, 8, // field 6, fixed64
            0x3A, 0x00, // field 7, empty length-delimited
        ];

        Assert.True(OtlpResponseReader.TryReadPartialSuccess(bytes, out var rejected, out var message));
        Assert.Equal(7, rejected);
        Assert.Equal("no", message);
    }

    [Theory]
    [InlineData(new byte[] { 0x0A, 0x05, 0x08 })] // length past the end
    [InlineData(new byte[] { 0x08, 0xFF })] // varint without its last byte
    [InlineData(new byte[] { 0x00, 0x01 })] // field number 0
    [InlineData(new byte[] { 0x0B })] // wire type 3 (groups)
    [InlineData(new byte[] { 0x0A, 0x02, 0x08, 0x80 })] // truncated varint inside partial_success
    public void TryReadPartialSuccess_MalformedBytes_ReturnsFalse(byte[] bytes)
    {
        Assert.False(OtlpResponseReader.TryReadPartialSuccess(bytes, out _, out _));
    }

    [Fact]
    public void StatusMessage_GoogleRpcStatus_ReadsTheMessage()
    {
        // google.rpc.Status { code = 3, message = "bad span" }.
        byte[] status = [0x08, 0x03, 0x12, 0x08, .. "bad span"u8];

        Assert.Equal("bad span", OtlpResponseReader.StatusMessage(status));
        Assert.Null(OtlpResponseReader.StatusMessage([0x12, 0x09, 0x01]));
    }

    [Fact]
    public void Text_LongCollectorText_IsCut()
    {
        var text = OtlpResponseReader.Text(new byte[10_000].Select(_ => (byte)'x').ToArray());

        Assert.Equal(OtlpResponseReader.MaxMessageLength + 1, text.Length);
    }

    [Fact]
    public void TryReadRetryDelay_StatusWithRetryInfoAmongOtherDetails_ReadsTheDelay()
    {
        var status = OtlpTransportAnswerTests.StatusWithRetryInfo(8, TimeSpan.FromMilliseconds(1500));

        Assert.True(OtlpResponseReader.TryReadRetryDelay(status, out var delay));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), delay);
    }

    [Fact]
    public void TryReadRetryDelay_StatusWithoutRetryInfo_IsFalse()
    {
        // google.rpc.Status { code = 8, message = "quota" }.
        byte[] status = [0x08, 0x08, 0x12, 0x05, .. "quota"u8];

        Assert.False(OtlpResponseReader.TryReadRetryDelay(status, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x1A, 0x7F, 0x0A })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF })]
    public void TryReadRetryDelay_MalformedBytes_IsFalseAndNeverThrows(byte[] status)
    {
        Assert.False(OtlpResponseReader.TryReadRetryDelay(status, out _));
    }
}
