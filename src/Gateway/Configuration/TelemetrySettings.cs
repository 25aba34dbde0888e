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

    /// <summary>
    /// Whether one short human line per request goes to standard output. Null (the default):
    /// on unless OTLP logs are configured, where the records already go somewhere to be read.
    /// </summary>
    public bool? Console { get; set; }

    /// <summary>Which form of the access record is written (<see cref="AccessRecordForm"/>). Default <see cref="AccessRecordForm.Auto"/>.</summary>
    public AccessRecordForm AccessRecord { get; set; } = AccessRecordForm.Auto;

    /// <summary>
    /// At shutdown, after the server has drained its requests, the longest time (0 to 60 seconds)
    /// the records still queued may take to be exported; what is left then is dropped and counted
    /// (<c>gateway.telemetry.dropped</c>). Default 5, well inside Kubernetes' 30 s grace period.
    /// </summary>
    public int DrainTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// Dropped telemetry is reported by a warning at most once per this many seconds
    /// (1 to 3600). Default 30.
    /// </summary>
    public int LossReportIntervalSeconds { get; set; } = 30;
}
