using System.Diagnostics;
using System.Globalization;
using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Health;

/// <summary>
/// What the probes report. Liveness: the record pipeline is not stuck (a restart is the
/// cure). Readiness: that, plus the configuration is loaded, the proxy's listeners are up
/// and not draining, and the wire view is on, or off/degraded while the mode allows it
/// (<c>Auto</c>, <c>Off</c>); with <c>KernelProbe:Mode On</c> a wire view that is not on
/// makes the gateway unready.
/// </summary>
internal sealed class HealthMonitor
{
    private readonly IWireView _wire;
    private readonly KernelProbeSettings _probe;
    private readonly HealthSettings _settings;
    private readonly RecordPipeline _records;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly IServer _server;
    private string _configFile = "(not set)";
    private string? _lastReload;
    private string? _wireFailure;

    /// <summary>Watches the gateway's own parts; a kernel view's first failure after start marks it degraded.</summary>
    public HealthMonitor(IWireView wire, IOptions<KernelProbeSettings> probe, IOptions<HealthSettings> settings,
        RecordPipeline records, IHostApplicationLifetime lifetime, IServer server)
    {
        _wire = wire;
        _probe = probe.Value;
        _settings = settings.Value;
        _records = records;
        _lifetime = lifetime;
        _server = server;
        Capabilities = ProcessCapabilities.Current();
        if (wire is KernelWireView kernel)
        {
            kernel.Failed += e => Volatile.Write(ref _wireFailure, e.Message.Split('\n')[0]);
        }
    }

    /// <summary>The capabilities the process held at start.</summary>
    public ProcessCapabilities Capabilities { get; }

    /// <summary>Records which file the configuration came from (validated at start, or the gateway would not run).</summary>
    public void ConfigurationLoaded(string file) => _configFile = file;

    /// <summary>Records the outcome of a change of the file (a refused one keeps the running configuration).</summary>
    public void ConfigurationReloaded(bool applied, IReadOnlyList<string> errors) =>
        Volatile.Write(ref _lastReload, applied
            ? $"last change applied at {Now()}"
            : $"last change refused at {Now()} ({errors.Count} problem(s), each logged as a warning); the previous configuration keeps serving");

    /// <summary>The liveness report.</summary>
    public HealthReport Live() => new("live", [Records()]);

    /// <summary>The readiness report.</summary>
    public HealthReport Ready() => new("ready", [Configuration(), Listeners(), WireView(), Records()]);

    private HealthCheck Configuration()
    {
        var detail = $"{_configFile}, validated at start";
        if (Volatile.Read(ref _lastReload) is { } reload)
        {
            detail += "; " + reload;
        }

        return new HealthCheck("configuration", true, "loaded", detail);
    }

    private HealthCheck Listeners()
    {
        if (_lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return new HealthCheck("listeners", false, "draining", "the gateway is stopping: in-flight requests finish, new ones should go elsewhere");
        }

        var addresses = _server.Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
        if (!_lifetime.ApplicationStarted.IsCancellationRequested || addresses.Length == 0)
        {
            return new HealthCheck("listeners", false, "starting", "the proxy's listeners are not bound yet");
        }

        return new HealthCheck("listeners", true, "up", string.Join(", ", addresses));
    }

    private HealthCheck WireView()
    {
        var mode = _probe.Mode;
        string status;
        string detail;
        if (!_wire.IsActive)
        {
            status = "off";
            detail = _wire.InactiveReason ?? "no reason given";
        }
        else if (Volatile.Read(ref _wireFailure) is { } failure)
        {
            status = "degraded";
            detail = $"the kernel probe runs, but failed after start: {failure}";
        }
        else
        {
            status = "on";
            detail = "kernel programs loaded and attached";
        }

        var missing = Capabilities.MissingForWireView();
        detail += $"; KernelProbe:Mode {mode}; capabilities {Capabilities.Describe()}";
        if (missing.Count > 0 && Capabilities.Readable)
        {
            detail += $", missing for the wire view: {string.Join(", ", missing)}";
        }

        // Auto and Off accept a gateway without the wire view (L7 only, wire.observed=false); On does not.
        var passed = status == "on" || mode != KernelProbeMode.On;
        return new HealthCheck("wire_view", passed, status, detail);
    }

    private HealthCheck Records()
    {
        var limit = TimeSpan.FromSeconds(_settings.StuckAfterSeconds);
        var now = Stopwatch.GetTimestamp();
        var stuck = new List<string>();
        var parts = new List<string>();
        foreach (var sink in _records.Sinks)
        {
            var pending = sink.PendingItems;
            var turn = sink.LastTurnTimestamp;
            var since = turn == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(turn, now);
            var part = $"{sink.Exporter} {sink.Signal.ToString().ToLowerInvariant()}: {pending} pending, loop turned {since.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s ago";
            parts.Add(part);
            if (pending > 0 && since > limit)
            {
                stuck.Add(part);
            }
        }

        if (stuck.Count > 0)
        {
            return new HealthCheck("records", false, "stuck",
                $"records wait and the export loop has not turned for more than {_settings.StuckAfterSeconds} s (Health:StuckAfterSeconds): {string.Join("; ", stuck)}");
        }

        return new HealthCheck("records", true, "moving", parts.Count == 0 ? "no sink configured" : string.Join("; ", parts));
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
