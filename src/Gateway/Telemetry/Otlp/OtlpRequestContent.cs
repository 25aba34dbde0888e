using System.Buffers.Binary;
using System.Net;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// The body of one export request: the serialized (perhaps compressed) message, written straight from
/// the caller's memory, behind the 5-byte gRPC message prefix when <paramref name="grpcCompressed"/> is
/// not null. Its length is known, so HTTP/1.1 sends a Content-Length rather than chunks.
/// </summary>
/// <param name="message">The bytes to send; owned by the caller and not copied.</param>
/// <param name="grpcCompressed">Null for OTLP/HTTP; for gRPC, whether the message is compressed (the prefix's flag).</param>
internal sealed class OtlpRequestContent(ReadOnlyMemory<byte> message, bool? grpcCompressed) : HttpContent
{
    private const int GrpcPrefixLength = 5;

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <inheritdoc />
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (grpcCompressed is { } compressed)
        {
            var prefix = new byte[GrpcPrefixLength];
            WritePrefix(prefix, compressed);
            await stream.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
        }

        await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (grpcCompressed is { } compressed)
        {
            Span<byte> prefix = stackalloc byte[GrpcPrefixLength];
            WritePrefix(prefix, compressed);
            stream.Write(prefix);
        }

        stream.Write(message.Span);
    }

    /// <inheritdoc />
    protected override bool TryComputeLength(out long length)
    {
        length = message.Length + (grpcCompressed is null ? 0 : GrpcPrefixLength);
        return true;
    }

    // gRPC length-prefixed message: compressed flag, then the message length as a big-endian uint32.
    private void WritePrefix(Span<byte> prefix, bool compressed)
    {
        prefix[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)message.Length);
    }
}
