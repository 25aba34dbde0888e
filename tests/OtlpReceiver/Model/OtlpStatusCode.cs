namespace OtlpReceiver;

/// <summary>The OTLP span status code, numbered as on the wire.</summary>
public enum OtlpStatusCode
{
    /// <summary>No status was set.</summary>
    Unset = 0,

    /// <summary>Explicitly marked successful.</summary>
    Ok = 1,

    /// <summary>Marked as failed; see <see cref="ReceivedSpan.StatusMessage"/>.</summary>
    Error = 2,
}
