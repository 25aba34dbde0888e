namespace Gateway.Telemetry.Records;

/// <summary>Wall-clock time as OTLP writes it.</summary>
internal static class UnixTime
{
    /// <summary>Now, in nanoseconds since the Unix epoch.</summary>
    public static long NowNanos() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    /// <summary>The UTC time of <paramref name="unixNanos"/>.</summary>
    public static DateTime ToDateTime(long unixNanos) => new(DateTime.UnixEpoch.Ticks + (unixNanos / 100), DateTimeKind.Utc);
}
