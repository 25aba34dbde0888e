using Gateway.Telemetry.Records;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// Exports the spans or the log records of the gateway's records over OTLP (gRPC or
/// HTTP/protobuf). Each record's spans (or log record) are encoded by <see cref="OtlpEncoder"/>
/// when the record is offered, straight into the offering thread's open batch, which begins
/// with the resource and the scope: a closed batch is a whole export request, sent by
/// <see cref="OtlpTransport"/> without another copy.
/// </summary>
internal sealed class OtlpSink : EncodingSink
{
    private readonly OtlpEncoder _encoder;
    private readonly OtlpTransport _transport;
    private readonly AccessRecordFormPolicy _accessRecord;
    private readonly ExportFailureLog? _failures;

    /// <summary>
    /// A sink of <paramref name="signal"/> (traces or logs) sending through <paramref name="transport"/>;
    /// <paramref name="accessRecord"/> says which form of access records a log sink sends (full when not given);
    /// each failed export is reported to <paramref name="failures"/> with its reason.
    /// </summary>
    public OtlpSink(TelemetrySignal signal, OtlpEncoder encoder, OtlpTransport transport, BatchOptions options, TelemetryLoss loss,
        AccessRecordFormPolicy? accessRecord = null, ExportFailureLog? failures = null)
        : base("otlp", signal, options, loss)
    {
        _encoder = encoder;
        _transport = transport;
        _accessRecord = accessRecord ?? AccessRecordFormPolicy.Full;
        _failures = failures;
    }

    /// <inheritdoc />
    public override int ItemsOf(TelemetryRecord record) => record.ItemsFor(Signal);

    /// <inheritdoc />
    protected override void Begin(EncodedBatch batch)
    {
        var envelope = _encoder.Begin(batch.Writer, Signal);
        batch.Frame = (envelope.Resource, envelope.Scope);
    }

    /// <inheritdoc />
    protected override void Append(EncodedBatch batch, TelemetryRecord record) =>
        OtlpEncoder.Write(batch.Writer, record, Signal, core: Signal == TelemetrySignal.Logs && _accessRecord.IsCore(record));

    /// <inheritdoc />
    protected override void End(EncodedBatch batch) => OtlpEncoder.End(batch.Writer, new OtlpEncoder.Envelope(batch.Frame.Outer, batch.Frame.Inner));

    /// <inheritdoc />
    protected override async Task<ExportOutcome> ExportAsync(IReadOnlyList<EncodedBatch> batch, int items, CancellationToken cancellationToken)
    {
        // Each batch is a whole export request (ItemIsBatch: one per call), sent as it was written.
        System.Diagnostics.Debug.Assert(batch.Count == 1, "an OTLP batch is exported on its own");
        var result = await _transport.SendAsync(batch[0].Bytes, cancellationToken).ConfigureAwait(false);
        if (!result.Success)
        {
            _failures?.Failed(Signal, _transport.Settings.Endpoint, result.Error, items, result.Attempts);
        }
        else if (result.Rejected > 0)
        {
            _failures?.Rejected(Signal, _transport.Settings.Endpoint, result.Error, result.Rejected);
        }

        return new ExportOutcome(result.Success, result.Rejected);
    }

    /// <inheritdoc />
    protected override ValueTask DisposeCoreAsync()
    {
        _transport.Dispose();
        return ValueTask.CompletedTask;
    }
}
