namespace Gateway.Telemetry.Otlp;

/// <summary>
/// How one <see cref="OtlpTransport.SendAsync"/> call ended. Collector and network problems are values
/// here, never exceptions.
/// </summary>
/// <param name="Success">The collector accepted the request (perhaps only in part: see <paramref name="Rejected"/>).</param>
/// <param name="Rejected">Spans or log records the collector reported as rejected in a partial success; 0 otherwise.</param>
/// <param name="Retryable">
/// The last failure was transient (unavailable, throttled, timed out, connection lost): the same request
/// may succeed later. False on success and on permanent failures (bad request, unauthenticated, not found).
/// </param>
/// <param name="Attempts">Requests made, retries included; 0 when the call ended before the first one was sent.</param>
/// <param name="Error">
/// A short diagnostic: status code, gRPC status and message, exception type and message, or the partial
/// success message. Never a header value or request data. Null when there is nothing to report.
/// </param>
internal readonly record struct OtlpSendResult(bool Success, long Rejected, bool Retryable, int Attempts, string? Error);
