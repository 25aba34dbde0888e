namespace Gateway.Configuration;

/// <summary><c>HeaderLogging:Request</c> or <c>HeaderLogging:Response</c>: what is captured in one direction.</summary>
public sealed class HeaderCaptureSettings
{
    /// <summary><c>All</c> (default), <c>Allowlist</c> or <c>None</c>.</summary>
    public HeaderLoggingMode Mode { get; set; } = HeaderLoggingMode.All;

    /// <summary>Header names captured in <see cref="HeaderLoggingMode.Allowlist"/> mode (case-insensitive). Default none.</summary>
    /// <remarks>Null rather than pre-filled: the configuration binder appends to pre-filled lists.</remarks>
    public List<string>? Allowlist { get; set; }
}
