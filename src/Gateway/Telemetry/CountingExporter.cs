using System.Reflection;
using OpenTelemetry;

namespace Gateway.Telemetry;

/// <summary>
/// Wraps an SDK exporter (the OTLP metric exporter) and counts what each export call
/// delivered or lost into <see cref="TelemetryLoss"/>. An exporter that throws is
/// counted as a failure and never reaches the SDK's export thread as an exception.
/// </summary>
internal sealed class CountingExporter<T> : BaseExporter<T>
    where T : class
{
    // The SDK hands the provider (and with it the resource: service.name) to the exporter
    // it knows, i.e. this wrapper; the inner exporter reads it from its own ParentProvider,
    // whose setter is not public. Found once; without it the inner exporter would export
    // with an empty resource, which OtlpExportTests would catch.
    private static readonly MethodInfo? SetParent =
        typeof(BaseExporter<T>).GetProperty(nameof(ParentProvider))?.GetSetMethod(nonPublic: true);

    private readonly BaseExporter<T> inner;
    private readonly TelemetryLoss loss;
    private readonly TelemetrySignal signal;

    public CountingExporter(BaseExporter<T> inner, TelemetryLoss loss, TelemetrySignal signal, string name)
    {
        this.inner = inner;
        this.loss = loss;
        this.signal = signal;
        Name = name;
    }

    /// <summary>The exporter's name in the metrics: <c>otlp</c>, <c>jsonl</c>, <c>console</c>.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public override ExportResult Export(in Batch<T> batch)
    {
        int count = (int)batch.Count;
        if (inner.ParentProvider is null && ParentProvider is { } provider)
        {
            SetParent?.Invoke(inner, [provider]);
        }

        ExportResult result;
        try
        {
            result = inner.Export(batch);
        }
        catch (Exception)
        {
            result = ExportResult.Failure;
        }

        if (result == ExportResult.Success)
        {
            loss.OnExported(signal, Name, count);
        }
        else
        {
            loss.OnExportFailed(signal, Name, count);
        }

        return result;
    }

    /// <inheritdoc />
    protected override bool OnForceFlush(int timeoutMilliseconds) => inner.ForceFlush(timeoutMilliseconds);

    /// <inheritdoc />
    protected override bool OnShutdown(int timeoutMilliseconds) => inner.Shutdown(timeoutMilliseconds);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
