using System.Globalization;
using Gateway.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry;

/// <summary>
/// Warns, at most once per <see cref="TelemetrySettings.LossReportIntervalSeconds"/> (30 s by
/// default), when telemetry was dropped since the last warning, and says once when an exporter
/// that failed delivers again. The numbers are those of the <c>gateway.telemetry.*</c> metrics.
/// </summary>
internal sealed partial class TelemetryLossReporter(TelemetryLoss loss, TelemetrySettings settings, ILogger<TelemetryLossReporter> logger)
    : IHostedService, IDisposable
{
    private readonly Dictionary<(TelemetrySignal, string, string), long> reported = [];
    private Timer? timer;
    private long failedExportsSeen;
    private long exportedAtLastFailure;
    private bool failing;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(settings.LossReportIntervalSeconds);
        timer = new Timer(_ => Check(), null, interval, interval);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        timer?.Dispose();
        Check();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => timer?.Dispose();

    private void Check()
    {
        try
        {
            lock (reported)
            {
                var now = loss.Dropped();
                long fresh = 0;
                var parts = new List<string>();
                foreach (var ((signal, exporter, reason), total) in now.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal))
                {
                    long delta = total - reported.GetValueOrDefault((signal, exporter, reason));
                    if (delta > 0)
                    {
                        fresh += delta;
                        parts.Add(string.Create(CultureInfo.InvariantCulture, $"{TelemetryLoss.Name(signal)}/{exporter}/{reason}={delta}"));
                    }

                    reported[(signal, exporter, reason)] = total;
                }

                if (fresh > 0)
                {
                    Log.TelemetryDropped(logger, fresh, now.Values.Sum(), string.Join(", ", parts));
                }

                long failedExports = loss.FailedExports;
                long exported = loss.Exported;
                if (failedExports > failedExportsSeen)
                {
                    failing = true;
                    failedExportsSeen = failedExports;
                    exportedAtLastFailure = exported;
                }
                else if (failing && exported > exportedAtLastFailure)
                {
                    failing = false;
                    Log.ExportResumed(logger, failedExports);
                }
            }
        }
        catch (Exception e)
        {
            Log.CheckFailed(logger, e);
        }
    }
}
