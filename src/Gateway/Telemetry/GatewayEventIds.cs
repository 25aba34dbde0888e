namespace Gateway.Telemetry;

/// <summary>
/// Every event id the gateway logs with, in one place so that ids never collide.
/// 1-99: records; 100-199: hosting and configuration; 200-299: forwarding; 300-399: telemetry.
/// </summary>
internal static class GatewayEventIds
{
    /// <summary>The per-request access record (<c>gateway.access</c>).</summary>
    public const int Access = 1;

    /// <summary>The record of a closed connection (<c>wire.connection</c>).</summary>
    public const int Connection = 2;

    /// <summary>A wire event with no request in flight (<c>wire.anomaly</c>).</summary>
    public const int Anomaly = 3;

    /// <summary>The wire view is off; logged once at start.</summary>
    public const int WireViewInactive = 100;

    /// <summary>The wire view is on; logged once at start with the interfaces it watches.</summary>
    public const int WireViewActive = 101;

    /// <summary>The kernel probe failed after start; that connection is unobserved.</summary>
    public const int WireViewFailed = 102;

    /// <summary>A changed configuration file was validated and applied.</summary>
    public const int ConfigReloaded = 103;

    /// <summary>A changed configuration file was refused; the running configuration keeps serving.</summary>
    public const int ConfigReloadRefused = 104;

    /// <summary>A changed setting takes effect only after a restart.</summary>
    public const int ConfigRestartRequired = 105;

    /// <summary>TC attachments cannot be recorded for crash recovery (no access to the registry directory).</summary>
    public const int WireViewNoCrashRecovery = 106;

    /// <summary>An upstream connection was opened.</summary>
    public const int UpstreamConnected = 200;

    /// <summary>One address of an upstream host refused or timed out.</summary>
    public const int UpstreamConnectAttemptFailed = 201;

    /// <summary>A cluster sets no upstream HTTP version and gets the default, HTTP/1.1.</summary>
    public const int UpstreamVersionDefaulted = 202;

    /// <summary>Building a request's telemetry failed; the request itself was unaffected.</summary>
    public const int TelemetryFailed = 300;

    /// <summary>The probe's ring buffer dropped events since the last report.</summary>
    public const int WireEventsDropped = 301;

    /// <summary>Telemetry (spans, records, metrics) was dropped since the last report; at most one per report interval.</summary>
    public const int TelemetryDropped = 302;

    /// <summary>An exporter that had failed delivers again.</summary>
    public const int TelemetryExportResumed = 303;

    /// <summary>An OTLP export call failed (or was taken in part), with its reason; rate-limited per signal.</summary>
    public const int TelemetryExportFailed = 304;

    /// <summary>The effective OTLP export settings of each signal, said once at start.</summary>
    public const int TelemetryExportSettings = 305;

    /// <summary>The Linux capabilities the process holds, said once at start.</summary>
    public const int Capabilities = 400;

    /// <summary>Where the health endpoints listen.</summary>
    public const int HealthListening = 401;

    /// <summary>One health probe answered (only with Health:LogProbes).</summary>
    public const int HealthProbe = 402;
}
