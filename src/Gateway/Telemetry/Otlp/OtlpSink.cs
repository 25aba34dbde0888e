using Gateway.Telemetry.Records;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// Exports the spans or the log records of the gateway's records over OTLP (gRPC or
/// HTTP/protobuf). Each record's spans (or log record) are encoded by <see cref="OtlpEncoder"/>
/// when the record is offered and appended to the open batch; an export request is a batch's
/// bytes inside the resource and the scope, sent by <see cref="OtlpTransport"/>.
/// </summary>
internal sealed class OtlpSink : EncodingSink
{
    // Each thread's own buffer to encode into; the bytes are copied out before it encodes again.
    [ThreadStatic]
    private static ProtoWriter? t_scratch;

    private readonly OtlpEncoder _encoder;
    private readonly OtlpTransport _transport;
    private readonly ProtoWriter _writer = new();

    /// <summary>A sink of <paramref name="signal"/> (traces or logs) sending through <paramref name="transport"/>.</summary>
    public OtlpSink(TelemetrySignal signal, OtlpEncoder encoder, OtlpTransport transport, BatchOptions options, TelemetryLoss loss)
        : base("otlp", signal, options, loss)
    {
        _encoder = encoder;
        _transport = transport;
    }

    /// <inheritdoc />
    public override int ItemsOf(TelemetryRecord record) => record.ItemsFor(Signal);

    /// <summary>The message of one batch, as it is sent (valid until the next batch).</summary>
    public ReadOnlyMemory<byte> Message(IReadOnlyList<EncodedBatch> batch)
    {
        _writer.Reset();
        var envelope = _encoder.Begin(_writer, Signal);
        foreach (var part in batch)
        {
            _writer.Raw(part.Bytes);
        }

        OtlpEncoder.End(_writer, envelope);
        return _writer.Written;
    }

    /// <inheritdoc />
    protected override ReadOnlySpan<byte> Encode(TelemetryRecord record)
    {
        var scratch = t_scratch ??= new ProtoWriter(16 * 1024);
        scratch.Reset(keepAtMost: 256 * 1024);
        OtlpEncoder.Write(scratch, record, Signal);
        return scratch.Since(0);
    }

    /// <inheritdoc />
    protected override async Task<ExportOutcome> ExportAsync(IReadOnlyList<EncodedBatch> batch, int items, CancellationToken cancellationToken)
    {
        var result = await _transport.SendAsync(Message(batch), cancellationToken).ConfigureAwait(false);
        return new ExportOutcome(result.Success, result.Rejected);
    }

    /// <inheritdoc />
    protected override ValueTask DisposeCoreAsync()
    {
        _transport.Dispose();
        return ValueTask.CompletedTask;
    }
}
