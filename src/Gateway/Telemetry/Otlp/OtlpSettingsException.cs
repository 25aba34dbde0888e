namespace Gateway.Telemetry.Otlp;

/// <summary>
/// The <c>OTEL_*</c> variables of an exporter cannot be used. Every problem is one sentence that names
/// the variable and the reason; none repeats a header value.
/// </summary>
internal sealed class OtlpSettingsException(IReadOnlyList<string> problems)
    : Exception(problems.Count == 1 ? problems[0] : string.Join(Environment.NewLine, problems))
{
    /// <summary>Every problem found, one complete sentence each (for <c>GatewayStartupException</c>).</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}
