using System.Globalization;

namespace Gateway.Configuration;

/// <summary>
/// Per-route settings read from a YARP route's <c>Metadata</c>, e.g.
/// <c>"Metadata": { "HeaderLogging.Request.Mode": "Allowlist", "HeaderLogging.Request.Allowlist": "user-agent,x-request-id" }</c>.
/// Every key is optional; a key that is absent keeps the global setting. Lists are
/// comma-separated. A route may add redactions but never remove one.
/// </summary>
public sealed record RouteOverrides
{
    /// <summary>Prefix of every metadata key the gateway reads; other keys belong to others and are left alone.</summary>
    public const string HeaderLoggingPrefix = "HeaderLogging.";

    /// <summary>Prefix of the sampling keys.</summary>
    public const string SamplingPrefix = "Sampling.";

    /// <summary>Request capture mode.</summary>
    public const string RequestModeKey = "HeaderLogging.Request.Mode";

    /// <summary>Request allowlist, comma-separated.</summary>
    public const string RequestAllowlistKey = "HeaderLogging.Request.Allowlist";

    /// <summary>Response capture mode.</summary>
    public const string ResponseModeKey = "HeaderLogging.Response.Mode";

    /// <summary>Response allowlist, comma-separated.</summary>
    public const string ResponseAllowlistKey = "HeaderLogging.Response.Allowlist";

    /// <summary>Header names redacted on this route in addition to the global list.</summary>
    public const string RedactKey = "HeaderLogging.Redact";

    /// <summary>Query parameter names redacted on this route in addition to the global list.</summary>
    public const string RedactQueryKey = "HeaderLogging.RedactQuery";

    /// <summary>Per-value byte limit on this route.</summary>
    public const string MaxValueBytesKey = "HeaderLogging.MaxValueBytes";

    /// <summary>Per-request header count limit on this route.</summary>
    public const string MaxHeadersKey = "HeaderLogging.MaxHeaders";

    /// <summary>Per-request byte limit on this route.</summary>
    public const string MaxTotalBytesKey = "HeaderLogging.MaxTotalBytes";

    /// <summary>Sampling ratio of ordinary requests on this route.</summary>
    public const string SamplingRatioKey = "Sampling.Ratio";

    /// <summary>Every key the gateway understands.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        RequestModeKey, RequestAllowlistKey, ResponseModeKey, ResponseAllowlistKey, RedactKey, RedactQueryKey,
        MaxValueBytesKey, MaxHeadersKey, MaxTotalBytesKey, SamplingRatioKey,
    ];

    /// <summary>No override at all.</summary>
    public static readonly RouteOverrides None = new();

    /// <summary>Request mode, or null for the global one.</summary>
    public HeaderLoggingMode? RequestMode { get; init; }

    /// <summary>Request allowlist, or null for the global one.</summary>
    public IReadOnlyList<string>? RequestAllowlist { get; init; }

    /// <summary>Response mode, or null for the global one.</summary>
    public HeaderLoggingMode? ResponseMode { get; init; }

    /// <summary>Response allowlist, or null for the global one.</summary>
    public IReadOnlyList<string>? ResponseAllowlist { get; init; }

    /// <summary>Extra redacted header names.</summary>
    public IReadOnlyList<string> Redact { get; init; } = [];

    /// <summary>Extra redacted query parameter names.</summary>
    public IReadOnlyList<string> RedactQuery { get; init; } = [];

    /// <summary>Per-value byte limit, or null.</summary>
    public int? MaxValueBytes { get; init; }

    /// <summary>Header count limit, or null.</summary>
    public int? MaxHeaders { get; init; }

    /// <summary>Total byte limit, or null.</summary>
    public int? MaxTotalBytes { get; init; }

    /// <summary>Sampling ratio, or null.</summary>
    public double? SamplingRatio { get; init; }

    /// <summary>True when no key changes anything.</summary>
    public bool IsEmpty => this == None;

    /// <summary>
    /// Reads the gateway's keys from <paramref name="metadata"/>. Problems are reported through
    /// <paramref name="error"/> as (key, problem, fix) and the offending key is ignored, so a
    /// caller that does not validate still gets the global behaviour for it.
    /// </summary>
    public static RouteOverrides Parse(IReadOnlyDictionary<string, string>? metadata, Action<string, string, string>? error = null)
    {
        if (metadata is null || metadata.Count == 0)
        {
            return None;
        }

        var result = None;
        foreach (var (key, raw) in metadata)
        {
            if (!key.StartsWith(HeaderLoggingPrefix, StringComparison.OrdinalIgnoreCase)
                && !key.StartsWith(SamplingPrefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var value = raw ?? string.Empty;
            var canonical = Keys.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
            switch (canonical)
            {
                case RequestModeKey:
                    result = result with { RequestMode = Mode(key, value, error) };
                    break;
                case ResponseModeKey:
                    result = result with { ResponseMode = Mode(key, value, error) };
                    break;
                case RequestAllowlistKey:
                    result = result with { RequestAllowlist = Names(key, value, error) };
                    break;
                case ResponseAllowlistKey:
                    result = result with { ResponseAllowlist = Names(key, value, error) };
                    break;
                case RedactKey:
                    result = result with { Redact = Names(key, value, error) ?? [] };
                    break;
                case RedactQueryKey:
                    result = result with { RedactQuery = Names(key, value, error, query: true) ?? [] };
                    break;
                case MaxValueBytesKey:
                    result = result with { MaxValueBytes = Int(key, value, 1, SettingLimits.MaxValueBytes, error) };
                    break;
                case MaxHeadersKey:
                    result = result with { MaxHeaders = Int(key, value, 0, SettingLimits.MaxHeaders, error) };
                    break;
                case MaxTotalBytesKey:
                    result = result with { MaxTotalBytes = Int(key, value, 0, SettingLimits.MaxTotalBytes, error) };
                    break;
                case SamplingRatioKey:
                    result = result with { SamplingRatio = Ratio(key, value, error) };
                    break;
                default:
                    error?.Invoke(key, "is not a metadata key the gateway knows", $"use one of {string.Join(", ", Keys)}");
                    break;
            }
        }

        return result;
    }

    private static HeaderLoggingMode? Mode(string key, string value, Action<string, string, string>? error)
    {
        if (!value.Any(char.IsDigit) && Enum.TryParse<HeaderLoggingMode>(value.Trim(), ignoreCase: true, out var mode))
        {
            return mode;
        }

        error?.Invoke(key, $"\"{value}\" is not a valid value", "use \"All\", \"Allowlist\" or \"None\"");
        return null;
    }

    private static string[]? Names(string key, string value, Action<string, string, string>? error, bool query = false)
    {
        var names = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in names)
        {
            if (!(query ? SettingLimits.IsQueryName(name) : SettingLimits.IsHeaderName(name)))
            {
                error?.Invoke(key, $"\"{name}\" is not a {(query ? "query parameter" : "header")} name",
                    "give names separated by commas, e.g. \"user-agent,x-request-id\"");
                return null;
            }
        }

        return names;
    }

    private static int? Int(string key, string value, int min, int max, Action<string, string, string>? error)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return number;
        }

        error?.Invoke(key, $"\"{value}\" is not a whole number from {min} to {max}", $"use a number from {min} to {max}");
        return null;
    }

    private static double? Ratio(string key, string value, Action<string, string, string>? error)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && ratio is >= 0 and <= 1)
        {
            return ratio;
        }

        error?.Invoke(key, $"\"{value}\" is not a ratio", "use a number from 0 to 1, e.g. \"0.1\"");
        return null;
    }
}
