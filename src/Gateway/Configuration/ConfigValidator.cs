using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Gateway.Configuration;

/// <summary>
/// Checks the gateway's own sections of the merged configuration (file, environment,
/// command line) before anything is bound, and collects every problem rather than
/// stopping at the first. Each message names where the value came from, the setting's
/// path and how to fix it. YARP validates its own <c>ReverseProxy</c> section.
/// </summary>
public static class ConfigValidator
{
    /// <summary>Upper bound for <c>HeaderLogging:MaxValueLength</c>.</summary>
    public const int MaxValueLengthLimit = 1024 * 1024;

    /// <summary>Upper bound for <c>HeaderLogging:MaxHeaders</c>.</summary>
    public const int MaxHeadersLimit = 10_000;

    /// <summary>Upper bound for <c>KernelProbe:FlowTableSize</c>.</summary>
    public const int FlowTableSizeLimit = 16 * 1024 * 1024;

    // Linux IFNAMSIZ is 16 including the terminating NUL.
    private const int InterfaceNameLimit = 15;

    private static readonly string[] HeaderLoggingKeys = ["Mode", "Allowlist", "Redact", "MaxValueLength", "MaxHeaders"];
    private static readonly string[] KernelProbeKeys = ["Mode", "Interfaces", "FlowTableSize", "HandshakeTimeoutSeconds"];
    private static readonly string[] TelemetryKeys = ["JsonLines", "Console"];
    private static readonly string[] JsonLinesKeys = ["Path"];
    private static readonly string[] DemoKeys = ["BackendUrl"];

    /// <summary>Returns every problem found; an empty list means the configuration may be bound.</summary>
    public static IReadOnlyList<string> Validate(IConfigurationRoot configuration, string configFilePath)
    {
        var errors = new Errors(new SettingSource(configuration, configFilePath));

        CheckHeaderLogging(configuration.GetSection(HeaderLoggingSettings.SectionName), errors);
        CheckKernelProbe(configuration.GetSection(KernelProbeSettings.SectionName), errors);
        CheckTelemetry(configuration.GetSection(TelemetrySettings.SectionName), errors);
        CheckDemo(configuration.GetSection(DemoSettings.SectionName), errors);
        CheckReverseProxy(configuration.GetSection("ReverseProxy"), errors);

        return errors.List;
    }

    private static void CheckHeaderLogging(IConfigurationSection section, Errors errors)
    {
        CheckKnownKeys(section, HeaderLoggingKeys, errors);
        var mode = CheckEnum<HeaderLoggingMode>(section.GetSection("Mode"), errors);
        var allowlist = CheckHeaderNames(section.GetSection("Allowlist"), errors);
        CheckHeaderNames(section.GetSection("Redact"), errors);
        CheckInt(section.GetSection("MaxValueLength"), 1, MaxValueLengthLimit, errors);
        CheckInt(section.GetSection("MaxHeaders"), 0, MaxHeadersLimit, errors);

        if (mode == HeaderLoggingMode.Allowlist && allowlist == 0)
        {
            errors.Add(section.GetSection("Allowlist").Path,
                "is empty while Mode is \"Allowlist\", so no header would be captured",
                "list the header names to capture, e.g. [\"user-agent\", \"x-request-id\"], or set Mode to \"All\"");
        }
    }

    private static void CheckKernelProbe(IConfigurationSection section, Errors errors)
    {
        CheckKnownKeys(section, KernelProbeKeys, errors);
        CheckEnum<KernelProbeMode>(section.GetSection("Mode"), errors);
        CheckInt(section.GetSection("FlowTableSize"), 1, FlowTableSizeLimit, errors);
        CheckInt(section.GetSection("HandshakeTimeoutSeconds"), 1, 3600, errors);

        foreach (var entry in section.GetSection("Interfaces").GetChildren())
        {
            var name = entry.Value;
            if (string.IsNullOrWhiteSpace(name) || name.Length > InterfaceNameLimit
                || name.Any(c => char.IsWhiteSpace(c) || c == '/' || char.IsControl(c)))
            {
                errors.Add(entry.Path, $"{Quote(name)} is not a network interface name",
                    $"use a name as `ip link` shows it (at most {InterfaceNameLimit} characters, no spaces or '/'), e.g. \"lo\" or \"eth0\"");
            }
        }
    }

    private static void CheckTelemetry(IConfigurationSection section, Errors errors)
    {
        CheckKnownKeys(section, TelemetryKeys, errors);
        var jsonLines = section.GetSection("JsonLines");
        CheckKnownKeys(jsonLines, JsonLinesKeys, errors);

        var path = jsonLines.GetSection("Path");
        if (path.Value is { } value && (string.IsNullOrWhiteSpace(value) || value.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            errors.Add(path.Path, $"{Quote(value)} is not a usable file path",
                "give a file path such as \"logs/access.jsonl\" (relative paths start at the current directory)");
        }

        var console = section.GetSection("Console");
        if (console.Value is { } flag && !bool.TryParse(flag, out _))
        {
            errors.Add(console.Path, $"{Quote(flag)} is not a boolean", "use true or false");
        }
    }

    private static void CheckDemo(IConfigurationSection section, Errors errors)
    {
        CheckKnownKeys(section, DemoKeys, errors);
        var url = section.GetSection("BackendUrl");
        if (url.Value is { } value
            && !(Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && uri.Port > 0))
        {
            errors.Add(url.Path, $"{Quote(value)} is not an http URL with a port", "use e.g. \"http://127.0.0.1:5080\"");
        }
    }

    private static void CheckReverseProxy(IConfigurationSection section, Errors errors)
    {
        if (!section.GetSection("Routes").GetChildren().Any())
        {
            errors.Add("ReverseProxy:Routes", "no route is defined, so every request would get 404",
                "add a route and a cluster in YARP's schema, as in the repository's config/gateway.json");
        }
    }

    private static void CheckKnownKeys(IConfigurationSection section, string[] known, Errors errors)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(child.Path, "is not a known setting",
                    $"remove it or use one of {string.Join(", ", known.Select(k => $"{section.Path}:{k}"))}");
            }
        }
    }

    private static TEnum? CheckEnum<TEnum>(IConfigurationSection setting, Errors errors)
        where TEnum : struct, Enum
    {
        if (setting.Value is not { } value)
        {
            return null;
        }

        // Only names: the binder would also take "1", which says nothing to a reader of the file.
        if (!value.Any(char.IsDigit) && Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed))
        {
            return parsed;
        }

        errors.Add(setting.Path, $"{Quote(value)} is not a valid value",
            $"use one of {string.Join(", ", Enum.GetNames<TEnum>().Select(n => $"\"{n}\""))}");
        return null;
    }

    private static void CheckInt(IConfigurationSection setting, int min, int max, Errors errors)
    {
        if (setting.Value is not { } value)
        {
            return;
        }

        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            errors.Add(setting.Path, $"{Quote(value)} is not a whole number", $"use a number from {min} to {max}");
        }
        else if (number < min || number > max)
        {
            errors.Add(setting.Path, $"{number} is out of range", $"use a number from {min} to {max}");
        }
    }

    private static int CheckHeaderNames(IConfigurationSection list, Errors errors)
    {
        if (list.Value is { Length: > 0 } scalar)
        {
            errors.Add(list.Path, $"is a single value {Quote(scalar)}, not a list", $"write a JSON array, e.g. [\"{scalar}\"]");
            return 1;
        }

        var count = 0;
        foreach (var entry in list.GetChildren())
        {
            count++;
            if (string.IsNullOrEmpty(entry.Value) || !entry.Value.All(IsTokenChar))
            {
                errors.Add(entry.Path, $"{Quote(entry.Value)} is not a header name",
                    "use the header's name only, e.g. \"x-request-id\" (letters, digits and !#$%&'*+-.^_`|~)");
            }
        }

        return count;
    }

    // RFC 9110 token characters: what a header field name may consist of.
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);

    private static string Quote(string? value) => value is null ? "(empty)" : $"\"{value}\"";

    private sealed class Errors(SettingSource source)
    {
        public List<string> List { get; } = [];

        public void Add(string settingPath, string problem, string fix) =>
            List.Add($"{source.Describe(settingPath)}: {settingPath}: {problem}; {fix}.");
    }
}
