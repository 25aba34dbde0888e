namespace Gateway.Configuration;

/// <summary>
/// The standard <c>OTEL_*</c> variables the gateway reads. They are read from its configuration
/// (environment, command line <c>--OTEL_X=value</c>, or a top-level key of the configuration file),
/// once at start; a top-level key of the file that starts with <c>OTEL_</c> and is not one of these
/// is refused, so that a misspelt variable does not go unnoticed.
/// </summary>
public static class OtelVariables
{
    /// <summary>The prefix of every variable.</summary>
    public const string Prefix = "OTEL_";

    /// <summary>Every variable the gateway reads.</summary>
    public static readonly IReadOnlyList<string> Names = Build();

    /// <summary>True when <paramref name="key"/> names one of <see cref="Names"/> (compared as configuration keys are: case-insensitively).</summary>
    public static bool IsKnown(string key) => Names.Contains(key, StringComparer.OrdinalIgnoreCase);

    private static string[] Build()
    {
        var names = new List<string>
        {
            "OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
            "OTEL_TRACES_EXPORTER", "OTEL_LOGS_EXPORTER", "OTEL_METRICS_EXPORTER",
            "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT",
            "OTEL_BLRP_MAX_QUEUE_SIZE", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "OTEL_BLRP_SCHEDULE_DELAY", "OTEL_BLRP_EXPORT_TIMEOUT",
            "OTEL_METRIC_EXPORT_INTERVAL", "OTEL_METRIC_EXPORT_TIMEOUT", "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        };
        foreach (var signal in new[] { "", "TRACES_", "LOGS_", "METRICS_" })
        {
            foreach (var setting in new[] { "ENDPOINT", "PROTOCOL", "HEADERS", "TIMEOUT", "COMPRESSION", "CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE", "INSECURE" })
            {
                names.Add("OTEL_EXPORTER_OTLP_" + signal + setting);
            }
        }

        return [.. names];
    }
}
