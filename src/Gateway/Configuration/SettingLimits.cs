namespace Gateway.Configuration;

/// <summary>Bounds and name rules shared by the validator and the per-route overrides.</summary>
public static class SettingLimits
{
    /// <summary>Upper bound for <c>HeaderLogging:MaxValueBytes</c>.</summary>
    public const int MaxValueBytes = 1024 * 1024;

    /// <summary>Upper bound for <c>HeaderLogging:MaxHeaders</c>.</summary>
    public const int MaxHeaders = 10_000;

    /// <summary>Upper bound for <c>HeaderLogging:MaxTotalBytes</c>.</summary>
    public const int MaxTotalBytes = 16 * 1024 * 1024;

    /// <summary>True for an RFC 9110 token: what a header field name may consist of.</summary>
    public static bool IsHeaderName(string? name) => !string.IsNullOrEmpty(name) && name.All(IsTokenChar);

    /// <summary>True for a query parameter name the redaction list can hold: printable ASCII without separators.</summary>
    public static bool IsQueryName(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => c > ' ' && c < 0x7F && c is not ('&' or '=' or ';' or '#' or ','));

    /// <summary>RFC 9110 token characters.</summary>
    public static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);
}
