namespace Gateway.Telemetry.Records;

/// <summary>OTLP status codes (values of <c>Status.StatusCode</c>).</summary>
internal enum SpanStatusCode
{
    /// <summary>No status set.</summary>
    Unset = 0,

    /// <summary>The operation failed.</summary>
    Error = 2,
}
