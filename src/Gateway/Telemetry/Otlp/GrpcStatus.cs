namespace Gateway.Telemetry.Otlp;

/// <summary>The gRPC status codes the exporter distinguishes, and their canonical names for diagnostics.</summary>
internal static class GrpcStatus
{
    /// <summary>OK: the call succeeded.</summary>
    public const int Ok = 0;

    /// <summary>UNKNOWN: what a call without a readable status counts as.</summary>
    public const int Unknown = 2;

    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>The canonical name of <paramref name="code"/>, e.g. <c>UNAVAILABLE</c>; <c>STATUS_n</c> for codes gRPC does not define.</summary>
    public static string Name(int code) => code >= 0 && code < Names.Length ? Names[code] : "STATUS_" + code;

    /// <summary>RESOURCE_EXHAUSTED: retryable only when the status carries a RetryInfo.</summary>
    public const int ResourceExhausted = 8;

    /// <summary>
    /// True for the codes the OTLP specification calls retryable: CANCELLED, DEADLINE_EXCEEDED, ABORTED,
    /// OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS; RESOURCE_EXHAUSTED only when the collector sent a
    /// <c>google.rpc.RetryInfo</c> (<paramref name="hasRetryInfo"/>), its sign that it can recover.
    /// </summary>
    public static bool IsRetryable(int code, bool hasRetryInfo) =>
        code is 1 or 4 or 10 or 11 or 14 or 15 || (code == ResourceExhausted && hasRetryInfo);
}
