namespace Gateway.Telemetry.Records;

/// <summary>The answer to one export call.</summary>
/// <param name="Success">The receiver took the batch.</param>
/// <param name="Rejected">Items it said it rejected (OTLP partial success).</param>
internal readonly record struct ExportOutcome(bool Success, long Rejected = 0)
{
    /// <summary>Delivered, all of it.</summary>
    public static ExportOutcome Delivered => new(true);

    /// <summary>Not delivered.</summary>
    public static ExportOutcome Failed => new(false);
}
