namespace Gateway.Configuration;

/// <summary>
/// The <c>HeaderLogging</c> section: which request and response headers are captured,
/// which are redacted, and how much of them is kept.
/// </summary>
/// <remarks>
/// List settings default to null rather than to a filled list because the
/// configuration binder appends to a pre-filled collection instead of replacing it;
/// <see cref="EffectiveRedact"/> supplies the defaults.
/// </remarks>
public sealed class HeaderLoggingSettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "HeaderLogging";

    /// <summary>Headers whose values never reach a record unless the operator lists others.</summary>
    public static readonly IReadOnlyList<string> DefaultRedact =
        ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"];

    /// <summary>Capture every header (default) or only the allowlisted ones.</summary>
    public HeaderLoggingMode Mode { get; set; } = HeaderLoggingMode.All;

    /// <summary>Header names captured in <see cref="HeaderLoggingMode.Allowlist"/> mode (case-insensitive).</summary>
    public List<string>? Allowlist { get; set; }

    /// <summary>Header names whose values are replaced by <c>[REDACTED]</c>; null means <see cref="DefaultRedact"/>.</summary>
    public List<string>? Redact { get; set; }

    /// <summary>Longest kept header value in characters; longer values are cut and marked. Default 1024.</summary>
    public int MaxValueLength { get; set; } = 1024;

    /// <summary>Most headers captured per request and per response; the rest are counted as dropped. Default 64.</summary>
    public int MaxHeaders { get; set; } = 64;

    /// <summary>The redaction list in force.</summary>
    public IReadOnlyList<string> EffectiveRedact => Redact ?? (IReadOnlyList<string>)DefaultRedact;
}
