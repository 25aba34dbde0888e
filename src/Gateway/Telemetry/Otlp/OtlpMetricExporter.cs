using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// The exporter the SDK's periodic metric reader calls: encodes the metrics under the gateway's one
/// resource (<see cref="OtlpMetricEncoder"/>) and sends them through the gateway's own
/// <see cref="OtlpTransport"/>, so metrics follow exactly the settings, TLS, retries and failure
/// reports of traces and logs. Counts what it delivers or loses into <see cref="TelemetryLoss"/>
/// (signal <c>metrics</c>, exporter <c>otlp</c>, items = data points).
/// </summary>
/// <remarks>
/// Stands in for the SDK's <c>OtlpMetricExporter</c>, which reads its <c>OTEL_*</c> variables from the
/// process environment alone, brings a resource of its own, and reports failures only to its EventSource.
/// </remarks>
internal sealed class OtlpMetricExporter : BaseExporter<Metric>
{
    /// <summary>The exporter's name in the loss metrics.</summary>
    public const string Name = "otlp";

    private readonly OtlpTransport _transport;
    private readonly OtlpEncoder _envelope;
    private readonly TelemetryLoss _loss;
    private readonly ExportFailureLog? _failures;
    private readonly ProtoWriter _writer = new(16 * 1024);
    private readonly List<Metric> _metrics = [];
    private readonly CancellationTokenSource _stop = new();
    private int _closed;
    private int _disposed;

    /// <summary>An exporter sending through <paramref name="transport"/> (the metrics signal's settings).</summary>
    public OtlpMetricExporter(OtlpTransport transport, OtlpEncoder envelope, TelemetryLoss loss, ExportFailureLog? failures)
    {
        _transport = transport;
        _envelope = envelope;
        _loss = loss;
        _failures = failures;
    }

    /// <inheritdoc />
    public override ExportResult Export(in Batch<Metric> batch)
    {
        // The reader calls one export at a time; the writer and the list are reused.
        _metrics.Clear();
        foreach (var metric in batch)
        {
            _metrics.Add(metric);
        }

        int points;
        _writer.Reset();
        try
        {
            points = OtlpMetricEncoder.Write(_writer, _envelope, _metrics);
        }
        catch (Exception)
        {
            _loss.OnExportFailed(TelemetrySignal.Metrics, Name, OtlpMetricEncoder.Points(_metrics), calls: 0);
            return ExportResult.Failure;
        }

        if (points == 0)
        {
            // Delta temporality with nothing recorded since the last export: nothing to say.
            return ExportResult.Success;
        }

        if (Volatile.Read(ref _closed) != 0)
        {
            // After the drain (the provider's own last collection at disposal): not sent. Cumulative
            // points only repeat, a moment later, the totals the last export carried (or was counted
            // for failing to carry), so nothing of theirs is lost; delta points held increments that
            // are, and are counted. (Every stop counted ~20 cumulative points as failed before.)
            _metrics.RemoveAll(m => m.Temporality != AggregationTemporality.Delta);
            var lost = OtlpMetricEncoder.Points(_metrics);
            if (lost > 0)
            {
                _loss.OnExportFailed(TelemetrySignal.Metrics, Name, lost, calls: 0);
            }

            return lost > 0 ? ExportResult.Failure : ExportResult.Success;
        }

        OtlpSendResult result;
        try
        {
            // The reader's own thread: blocking here holds up nothing else.
            result = _transport.SendAsync(_writer.Written, _stop.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // The drain time is over.
            _loss.OnExportFailed(TelemetrySignal.Metrics, Name, points);
            return ExportResult.Failure;
        }

        if (!result.Success)
        {
            _loss.OnExportFailed(TelemetrySignal.Metrics, Name, points);
            _failures?.Failed(TelemetrySignal.Metrics, _transport.Settings.Endpoint, result.Error, points, result.Attempts);
            return ExportResult.Failure;
        }

        _loss.OnExported(TelemetrySignal.Metrics, Name, points - (int)Math.Min(result.Rejected, points));
        if (result.Rejected > 0)
        {
            _loss.OnRejected(TelemetrySignal.Metrics, Name, result.Rejected);
            _failures?.Rejected(TelemetrySignal.Metrics, _transport.Settings.Endpoint, result.Error, result.Rejected);
        }

        return ExportResult.Success;
    }

    /// <summary>
    /// Bounds what is left (the last collection, an export in flight) to <paramref name="drain"/>; once
    /// <paramref name="closed"/>, later exports are counted as dropped and not sent.
    /// </summary>
    public void Stop(TimeSpan drain, bool closed)
    {
        if (closed)
        {
            Volatile.Write(ref _closed, 1);
        }

        try
        {
            _stop.CancelAfter(drain);
        }
        catch (ObjectDisposedException)
        {
            // Disposed already: nothing is in flight.
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // Owned by the reader and by the service container: both dispose it.
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stop.Cancel();
            _transport.Dispose();
            _stop.Dispose();
        }

        base.Dispose(disposing);
    }
}
