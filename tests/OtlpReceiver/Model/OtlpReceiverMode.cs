namespace OtlpReceiver;

/// <summary>How the receiver answers export requests; lets tests exercise the exporter's failure paths.</summary>
public enum OtlpReceiverMode
{
    /// <summary>Decode, record and answer success (gRPC OK, HTTP 200).</summary>
    Accept,

    /// <summary>Count but do not record, and answer a retryable failure (gRPC UNAVAILABLE, HTTP 503).</summary>
    Unavailable,

    /// <summary>Count but do not record, and never answer until the client gives up or the receiver is disposed.</summary>
    Hang,
}
