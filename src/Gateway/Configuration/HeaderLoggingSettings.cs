namespace Gateway.Configuration;

/// <summary>
/// The <c>HeaderLogging</c> section: which request and response headers are captured,
/// which header values and query parameters are redacted, and how much is kept.
/// Applied again on every valid reload of the configuration file.
/// </summary>
/// <remarks>
/// List settings default to null rather than to a filled list because the configuration
/// binder appends to a pre-filled collection instead of replacing it. The redaction
/// lists ADD to the built-in defaults: an operator who lists one more secret header never
/// un-redacts <c>authorization</c> by accident; <see cref="Unredact"/> must name a default
/// explicitly to log it in clear.
/// </remarks>
public sealed class HeaderLoggingSettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "HeaderLogging";

    /// <summary>Header names whose values never reach a record unless listed in <see cref="Unredact"/>.</summary>
    public static readonly IReadOnlyList<string> DefaultRedact =
    [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key",
        "x-auth-token", "x-access-token", "x-csrf-token", "x-xsrf-token", "x-amz-security-token",
        "authentication-info", "proxy-authentication-info",
    ];

    /// <summary>
    /// Name fragments: a header or query parameter whose lower-case name contains one of them is
    /// redacted too (so <c>x-upstream-token</c> and <c>client_secret</c> are covered without listing them).
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultRedactNameParts =
        ["auth", "token", "secret", "passw", "api-key", "apikey", "api_key", "session", "cookie", "credential", "signature"];

    /// <summary>Query parameter names whose values never reach <c>url.query</c> or the record body.</summary>
    public static readonly IReadOnlyList<string> DefaultRedactQuery =
        ["key", "code", "sig", "pwd", "pass", "jwt", "access_token", "id_token", "refresh_token", "client_secret"];

    /// <summary>What is captured of request headers. Default: all.</summary>
    public HeaderCaptureSettings Request { get; set; } = new();

    /// <summary>What is captured of response headers. Default: all.</summary>
    public HeaderCaptureSettings Response { get; set; } = new();

    /// <summary>More header names to redact, added to <see cref="DefaultRedact"/>. Default none.</summary>
    public List<string>? Redact { get; set; }

    /// <summary>More query parameter names to redact, added to <see cref="DefaultRedactQuery"/>. Default none.</summary>
    public List<string>? RedactQuery { get; set; }

    /// <summary>Names fragments that redact any header or query parameter containing them; null means <see cref="DefaultRedactNameParts"/>.</summary>
    public List<string>? RedactNameParts { get; set; }

    /// <summary>Exact header or query parameter names to log in clear although a default would redact them. Default none.</summary>
    public List<string>? Unredact { get; set; }

    /// <summary>Longest kept value in UTF-8 bytes; a longer value is cut and ends in <c>…[truncated]</c>. Default 1024.</summary>
    public int MaxValueBytes { get; set; } = 1024;

    /// <summary>Most headers captured per request and per response; the rest are counted as dropped. Default 64.</summary>
    public int MaxHeaders { get; set; } = 64;

    /// <summary>Most bytes (names and kept values) captured per request and per response; the rest are counted as dropped. Default 16384.</summary>
    public int MaxTotalBytes { get; set; } = 16384;

    /// <summary>Whether <c>gateway.request.header_order</c> (names only, as received) is recorded. Default true.</summary>
    public bool HeaderOrder { get; set; } = true;
}
