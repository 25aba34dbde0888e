namespace Gateway.Configuration;

/// <summary>
/// The <c>Telemetry</c> section: the embedded sink. OTLP export is configured by the
/// standard <c>OTEL_*</c> variables, not here.
/// </summary>
public sealed class TelemetrySettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Telemetry";

    /// <summary>The JSON-lines file sink.</summary>
    public JsonLinesSettings JsonLines { get; set; } = new();

    /// <summary>Whether one short human line per request goes to standard output. Default true.</summary>
    public bool Console { get; set; } = true;

    /// <summary>
    /// Dropped telemetry is reported by a warning at most once per this many seconds
    /// (1 to 3600). Default 30.
    /// </summary>
    public int LossReportIntervalSeconds { get; set; } = 30;
}
