using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Correlation;

/// <summary>
/// A connection feature: the bytes the HTTP layer has taken off the connection's transport
/// (consumed, not merely read ahead) and the bytes it has written to it, counted on the raw
/// transport (outside TLS). At the end of an HTTP/1.1 request these are the stream offsets
/// where the request and its response end, which the kernel's sequence numbers are checked
/// against before a per-request figure is trusted (see <see cref="ConnectionLedger"/>).
/// </summary>
/// <remarks>
/// One per connection: the transport is wrapped once, and counting costs an addition per
/// read and per write.
/// </remarks>
public sealed class TransportByteCounts : IDuplexPipe
{
    private readonly CountingPipeReader input;
    private readonly CountingPipeWriter output;

    private TransportByteCounts(IDuplexPipe transport)
    {
        input = new CountingPipeReader(transport.Input);
        output = new CountingPipeWriter(transport.Output);
    }

    /// <summary>Bytes consumed from the transport so far.</summary>
    public long Received => input.Consumed;

    /// <summary>Bytes written to the transport so far.</summary>
    public long Sent => output.Written;

    /// <inheritdoc />
    public PipeReader Input => input;

    /// <inheritdoc />
    public PipeWriter Output => output;

    /// <summary>Connection middleware: counts the connection's transport and puts the counts on its features.</summary>
    public static ConnectionDelegate Wrap(ConnectionDelegate next) => connection =>
    {
        var counts = new TransportByteCounts(connection.Transport);
        connection.Transport = counts;
        connection.Features.Set(counts);
        return next(connection);
    };
}
