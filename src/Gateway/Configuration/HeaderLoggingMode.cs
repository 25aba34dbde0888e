namespace Gateway.Configuration;

/// <summary>Which headers of one direction (request or response) the gateway copies into its records.</summary>
public enum HeaderLoggingMode
{
    /// <summary>Every header, redacted and size-limited.</summary>
    All,

    /// <summary>Only the headers named in <see cref="HeaderCaptureSettings.Allowlist"/>.</summary>
    Allowlist,

    /// <summary>No header values at all (the request's header order is still recorded when enabled).</summary>
    None,
}
