namespace Gateway.Configuration;

/// <summary>Which headers the gateway copies into its records.</summary>
public enum HeaderLoggingMode
{
    /// <summary>Every header, redacted and size-limited.</summary>
    All,

    /// <summary>Only the headers named in <see cref="HeaderLoggingSettings.Allowlist"/>.</summary>
    Allowlist,
}
