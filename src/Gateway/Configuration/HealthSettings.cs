namespace Gateway.Configuration;

/// <summary>The <c>Health</c> section: liveness and readiness on a management address of their own.</summary>
public sealed class HealthSettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Health";

    /// <summary>
    /// Where <c>/livez</c> and <c>/readyz</c> listen, one or more http URLs separated by
    /// <c>;</c> (e.g. <c>http://0.0.0.0:9090</c>). A listener apart from the proxy's, so no
    /// route can shadow the probes and no probe becomes a request record. Default: none
    /// (no health endpoints).
    /// </summary>
    public string? Urls { get; set; }

    /// <summary>Log each probe (path, status) at Information. Default false: probes leave no trace.</summary>
    public bool LogProbes { get; set; }

    /// <summary>
    /// Seconds a record sink may hold records without its export loop going round before
    /// liveness fails (1 to 3600). An export that hangs is cut by its own timeout well before,
    /// so only a loop that stopped turning trips it. Default 30.
    /// </summary>
    public int StuckAfterSeconds { get; set; } = 30;
}
