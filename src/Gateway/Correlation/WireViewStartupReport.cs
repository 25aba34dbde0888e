using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Correlation;

/// <summary>Says once, at start, that the wire view is off and why.</summary>
internal sealed partial class WireViewStartupReport(IWireView view, ILogger<WireViewStartupReport> logger) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!view.IsActive)
        {
            Log.Inactive(logger, view.InactiveReason ?? "no reason given");
        }
        else if (view is KernelWireView kernel)
        {
            var attached = kernel.Probe.Attachments.Select(a => $"{a.Interface} {a.Direction.ToString().ToLowerInvariant()}");
            Log.Active(logger, string.Join(", ", attached), kernel.Probe.FlowTableSize);
            if (kernel.Probe.RegistryProblem is { } problem)
            {
                Log.NoCrashRecovery(logger, problem);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Reports the first kernel failure after start.</summary>
    internal static void ReportFailure(ILogger logger, Exception error) => Log.Failed(logger, error.Message);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
