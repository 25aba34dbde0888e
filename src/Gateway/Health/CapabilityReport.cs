using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Health;

/// <summary>Says once, at start, which Linux capabilities the gateway really holds (its effective set).</summary>
internal sealed partial class CapabilityReport(HealthMonitor monitor, ILogger<CapabilityReport> logger) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var capabilities = monitor.Capabilities;
        var missing = capabilities.MissingForWireView();
        var wire = !capabilities.Readable ? "unknown"
            : missing.Count == 0 ? "all held"
            : $"missing {string.Join(", ", missing)}";
        Log.Held(logger, capabilities.Describe(), Environment.UserName, wire);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
