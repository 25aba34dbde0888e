using System.Globalization;
using Gateway.Rules;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Gateway.Configuration;

/// <summary>
/// Checks the gateway's own sections of the merged configuration (file, environment,
/// command line) before anything is bound, and collects every problem rather than
/// stopping at the first. Each message names where the value came from, the setting's
/// path and how to fix it. YARP validates its own <c>ReverseProxy</c> section.
/// </summary>
public static class ConfigValidator
{
    /// <summary>Upper bound for <c>KernelProbe:FlowTableSize</c>.</summary>
    public const int FlowTableSizeLimit = 16 * 1024 * 1024;

    /// <summary>Shortest accepted <c>ClientIdentity:HashKey</c>.</summary>
    public const int MinHashKeyLength = 16;

    /// <summary>The <c>Rules</c> section: named rules (Rules/RuleSettings.cs).</summary>
    public const string RulesSectionName = "Rules";

    // Linux IFNAMSIZ is 16 including the terminating NUL.
    private const int InterfaceNameLimit = 15;

    /// <summary>The top-level keys a configuration file may hold: the gateway's sections and the ASP.NET ones it honours.</summary>
    public static readonly IReadOnlyList<string> TopLevelKeys =
    [
        "ReverseProxy", HeaderLoggingSettings.SectionName, SamplingSettings.SectionName, ClientIdentitySettings.SectionName,
        KernelProbeSettings.SectionName, TelemetrySettings.SectionName, DemoSettings.SectionName, UpstreamSettings.SectionName, HealthSettings.SectionName, RulesSectionName, AlertSettings.SectionName,
        "Logging", "Urls", "AllowedHosts", "Kestrel",
    ];

    private static readonly string[] HeaderLoggingKeys =
        ["Request", "Response", "Redact", "RedactQuery", "RedactNameParts", "Unredact", "MaxValueBytes", "MaxHeaders", "MaxTotalBytes", "HeaderOrder"];
    private static readonly string[] HeaderCaptureKeys = ["Mode", "Allowlist"];
    private static readonly string[] SamplingKeys = ["Ratio", "AlwaysKeep"];
    private static readonly string[] SamplingRuleKeys = ["RouteId", "PathPrefix", "Method", "Header", "MinStatus", "MinDurationMs"];
    private static readonly string[] ClientIdentityKeys = ["TrustedProxies", "LocalHopLimit", "Privacy", "HashKey"];
    private static readonly string[] KernelProbeKeys = ["Mode", "Interfaces", "FlowTableSize", "HandshakeTimeoutSeconds", "EventBufferBytes", "Ja4t"];
    private static readonly string[] TelemetryKeys = ["JsonLines", "Console", "LossReportIntervalSeconds", "AccessRecord", "DrainTimeoutSeconds"];
    private static readonly string[] JsonLinesKeys = ["Path", "Enabled", "MaxBytes", "MaxFiles"];
    private static readonly string[] DemoKeys = ["BackendUrl"];
    private static readonly string[] HealthKeys = ["Urls", "LogProbes", "StuckAfterSeconds"];
    private static readonly string[] UpstreamKeys = ["ConnectTimeoutSeconds"];
    private static readonly string[] RuleKeys = ["Condition", "Actions", "Status", "Routes", "FailClosed", "AlertIntervalSeconds"];
    private static readonly string[] AlertKeys = ["IntervalSeconds", "Webhook"];
    private static readonly string[] WebhookKeys = ["Url", "TimeoutSeconds", "MaxAttempts", "QueueSize"];

    // Settings of earlier versions: a file that still uses them gets told where they went.
    private static readonly Dictionary<string, string> MovedHeaderLoggingKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Mode"] = "moved: set HeaderLogging:Request:Mode and HeaderLogging:Response:Mode (requests and responses are configured separately)",
        ["Allowlist"] = "moved: set HeaderLogging:Request:Allowlist and HeaderLogging:Response:Allowlist (requests and responses are configured separately)",
        ["MaxValueLength"] = "was renamed: use HeaderLogging:MaxValueBytes (the limit counts UTF-8 bytes)",
    };

    /// <summary>Returns every problem found; an empty list means the configuration may be bound.</summary>
    public static IReadOnlyList<string> Validate(IConfigurationRoot configuration, string configFilePath)
    {
        var errors = new Errors(new SettingSource(configuration, configFilePath));

        CheckTopLevel(configuration, errors);
        CheckHeaderLogging(configuration.GetSection(HeaderLoggingSettings.SectionName), errors);
        CheckSampling(configuration.GetSection(SamplingSettings.SectionName), errors);
        CheckClientIdentity(configuration.GetSection(ClientIdentitySettings.SectionName), errors);
        CheckKernelProbe(configuration.GetSection(KernelProbeSettings.SectionName), errors);
        CheckTelemetry(configuration.GetSection(TelemetrySettings.SectionName), errors);
        CheckDemo(configuration.GetSection(DemoSettings.SectionName), errors);
        CheckHealth(configuration.GetSection(HealthSettings.SectionName), errors);
        var upstream = configuration.GetSection(UpstreamSettings.SectionName);
        CheckKnownKeys(upstream, UpstreamKeys, errors);
        CheckInt(upstream.GetSection("ConnectTimeoutSeconds"), 1, 300, errors);
        CheckReverseProxy(configuration.GetSection("ReverseProxy"), errors);
        CheckAlerts(configuration.GetSection(AlertSettings.SectionName), errors);
        CheckRules(configuration.GetSection(RulesSectionName), errors);
        foreach (var (path, reason, fix) in Hosting.KestrelLimits.Problems(configuration))
        {
            errors.Add(path, reason, fix);
        }

        return errors.List;
    }

    private static void CheckTopLevel(IConfigurationRoot configuration, Errors errors)
    {
        // Only the file's own keys: the environment layer brings PATH, HOME and every other variable.
        foreach (var provider in configuration.Providers)
        {
            if (provider is EnvironmentVariablesConfigurationProvider or CommandLineConfigurationProvider)
            {
                continue;
            }

            foreach (var key in provider.GetChildKeys([], null).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (key.StartsWith(OtelVariables.Prefix, StringComparison.OrdinalIgnoreCase))
                {
                    // The standard OpenTelemetry variables may be set in the file too, as top-level keys.
                    if (!OtelVariables.IsKnown(key))
                    {
                        errors.Add(key, "is not an OTEL_* variable the gateway reads",
                            "check its spelling (e.g. OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME; docs/telemetry.md lists them all)");
                    }
                }
                else if (!key.StartsWith('$') && !TopLevelKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
                {
                    errors.Add(key, "is not a known section",
                        $"remove it or use one of {string.Join(", ", TopLevelKeys)} (keys starting with $ are ignored)");
                }
            }
        }
    }

    private static void CheckHeaderLogging(IConfigurationSection section, Errors errors)
    {
        foreach (var child in section.GetChildren())
        {
            if (MovedHeaderLoggingKeys.TryGetValue(child.Key, out var moved))
            {
                errors.Add(child.Path, "is no longer a setting", moved);
            }
        }

        CheckKnownKeys(section, HeaderLoggingKeys, errors, MovedHeaderLoggingKeys.Keys);
        CheckCapture(section.GetSection("Request"), errors);
        CheckCapture(section.GetSection("Response"), errors);
        var redact = CheckNames(section.GetSection("Redact"), errors, SettingLimits.IsHeaderName);
        CheckNames(section.GetSection("RedactQuery"), errors, SettingLimits.IsQueryName);
        CheckNames(section.GetSection("RedactNameParts"), errors, SettingLimits.IsQueryName);
        var unredact = CheckNames(section.GetSection("Unredact"), errors, SettingLimits.IsQueryName);
        CheckInt(section.GetSection("MaxValueBytes"), 1, SettingLimits.MaxValueBytes, errors);
        CheckInt(section.GetSection("MaxHeaders"), 0, SettingLimits.MaxHeaders, errors);
        CheckInt(section.GetSection("MaxTotalBytes"), 0, SettingLimits.MaxTotalBytes, errors);
        CheckBool(section.GetSection("HeaderOrder"), errors);

        foreach (var name in redact.Intersect(unredact, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add(section.GetSection("Unredact").Path, $"\"{name}\" is also listed in Redact",
                "keep it in one of the two lists (Redact wins, so it stays redacted)");
        }
    }

    private static void CheckCapture(IConfigurationSection section, Errors errors)
    {
        CheckKnownKeys(section, HeaderCaptureKeys, errors);
        var mode = CheckEnum<HeaderLoggingMode>(section.GetSection("Mode"), errors);
        var allowlist = CheckNames(section.GetSection("Allowlist"), errors, SettingLimits.IsHeaderName);
        if (mode == HeaderLoggingMode.Allowlist && allowlist.Count == 0)
        {
            errors.Add(section.GetSection("Allowlist").Path,
                "is empty while Mode is \"Allowlist\", so no header would be captured",
                "list the header names to capture, e.g. [\"user-agent\", \"x-request-id\"], or set Mode to \"All\" or \"None\"");
        }
    }

    private static void CheckSampling(IConfigurationSection section, Errors errors)
    {
        CheckKnownKeys(section, SamplingKeys, errors);
        CheckRatio(section.GetSection("Ratio"), errors);
        var rules = section.GetSection("AlwaysKeep");
        if (rules.Value is { Length: > 0 })
        {
            errors.Add(rules.Path, "is a single value, not a list of rules", "write a JSON array of objects, e.g. [{ \"PathPrefix\": \"/admin\" }]");
            return;
        }

        foreach (var rule in rules.GetChildren())
        {
            CheckKnownKeys(rule, SamplingRuleKeys, errors);
            if (!rule.GetChildren().Any(c => SamplingRuleKeys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
            {
                errors.Add(rule.Path, "has no condition, so it would keep every request",
                    $"give at least one of {string.Join(", ", SamplingRuleKeys)}, or set Sampling:Ratio to 1");
            }

            if (rule["PathPrefix"] is { } prefix && !prefix.StartsWith('/'))
            {
                errors.Add(rule.GetSection("PathPrefix").Path, $"{Quote(prefix)} does not start with /", "write a path prefix such as \"/admin\"");
            }

            if (rule["Header"] is { } header && !SettingLimits.IsHeaderName(header))
            {
                errors.Add(rule.GetSection("Header").Path, $"{Quote(header)} is not a header name", "use a header name such as \"x-debug\"");
            }

            if (rule["Method"] is { } method && !SettingLimits.IsHeaderName(method))
            {
                errors.Add(rule.GetSection("Method").Path, $"{Quote(method)} is not an HTTP method", "use a method such as \"POST\"");
            }

            CheckInt(rule.GetSection("MinStatus"), 100, 599, errors);
            CheckDouble(rule.GetSection("MinDurationMs"), 0, double.MaxValue, errors, "a number of milliseconds, 0 or more");
        }
    }

    private static void CheckRules(IConfigurationSection section, Errors errors)
    {
        if (section.Value is { Length: > 0 })
        {
            errors.Add(section.Path, "is a single value, not a set of named rules", "write an object, e.g. { \"no-admin\": { \"Condition\": \"...\", \"Actions\": [\"deny\"] } }");
            return;
        }

        var rules = section.GetChildren().ToList();
        if (rules.Count > 0 && rules.All(r => int.TryParse(r.Key, out _)))
        {
            errors.Add(section.Path, "is a list, but rules are named",
                "write an object keyed by rule name, e.g. { \"no-admin\": { \"Condition\": \"...\", \"Actions\": [\"deny\"] } }");
            return;
        }

        foreach (var rule in rules)
        {
            CheckRule(rule, errors);
        }
    }

    private static void CheckRule(IConfigurationSection rule, Errors errors)
    {
        if (!rule.Key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || rule.Key.Length > 64)
        {
            errors.Add(rule.Path, $"{Quote(rule.Key)} is not a usable rule name", "use at most 64 letters, digits, '-', '_' or '.'; records and alerts show it");
        }

        CheckKnownKeys(rule, RuleKeys, errors);
        CheckInt(rule.GetSection("Status"), 400, 599, errors);
        CheckBool(rule.GetSection("FailClosed"), errors);
        CheckDouble(rule.GetSection("AlertIntervalSeconds"), 0, 86400, errors, "a number of seconds from 0 to 86400");
        CheckNames(rule.GetSection("Routes"), errors, id => !string.IsNullOrWhiteSpace(id));

        var actionsSection = rule.GetSection("Actions");
        var actionNames = actionsSection.Value is { Length: > 0 } single ? [single] : actionsSection.GetChildren().Select(c => c.Value ?? "").ToList();
        RuleActions actions;
        try
        {
            actions = RuleDefinition.ParseActions(actionNames);
        }
        catch (ArgumentException e)
        {
            errors.Add(actionsSection.Path, e.Message, "list what a match does, e.g. [\"tag\", \"alert\"]");
            return;
        }

        if (actionNames.Count == 0)
        {
            errors.Add(actionsSection.Path, "is missing: the rule would do nothing", $"list one or more of {string.Join(", ", RuleDefinition.ActionNames)}");
            return;
        }

        if (rule["Status"] is not null && (actions & RuleActions.Deny) == 0)
        {
            errors.Add(rule.GetSection("Status").Path, "is set but the rule does not deny", "add \"deny\" to Actions or remove Status");
        }

        if (rule["Condition"] is not { } condition)
        {
            errors.Add(rule.GetSection("Condition").Path, "is missing", "write a CEL condition over attrs, e.g. attrs[\"wire.ip.ttl\"] < 32 (docs/rules.md)");
            return;
        }

        try
        {
            CompiledRule.Compile(new RuleDefinition(rule.Key, condition, actions));
        }
        catch (RuleCompileException e)
        {
            errors.Add(rule.GetSection("Condition").Path, $"rule {Quote(rule.Key)} is refused: {e.Message}", "see docs/rules.md for how a condition names attributes");
        }
    }

    private static void CheckAlerts(IConfigurationSection section, Errors errors)
    {
        CheckKnownKeys(section, AlertKeys, errors);
        CheckDouble(section.GetSection("IntervalSeconds"), 0, 86400, errors, "a number of seconds from 0 to 86400");
        var webhook = section.GetSection("Webhook");
        CheckKnownKeys(webhook, WebhookKeys, errors);
        if (!webhook.GetChildren().Any())
        {
            return;
        }

        // The URL is quoted only up to its path: it may carry a token in its query.
        var url = webhook.GetSection("Url");
        if (url.Value is not { } value)
        {
            errors.Add(url.Path, "is missing", "give the http or https URL that receives alerts, or remove Alerts:Webhook");
        }
        else if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add(url.Path, "is not an http or https URL", "use e.g. \"https://alerts.example/hook\"");
        }

        CheckDouble(webhook.GetSection("TimeoutSeconds"), 0.1, 300, errors, "a number of seconds from 0.1 to 300");
        CheckInt(webhook.GetSection("MaxAttempts"), 1, 20, errors);
        CheckInt(webhook.GetSection("QueueSize"), 1, 1_000_000, errors);
    }

    private static void CheckClientIdentity(IConfigurationSection section, Errors errors)
    {
        CheckKnownKeys(section, ClientIdentityKeys, errors);
        CheckInt(section.GetSection("LocalHopLimit"), 0, 254, errors);
        var privacy = CheckEnum<ClientAddressPrivacy>(section.GetSection("Privacy"), errors);
        var proxies = section.GetSection("TrustedProxies");
        if (proxies.Value is { Length: > 0 } scalar)
        {
            errors.Add(proxies.Path, $"is a single value {Quote(scalar)}, not a list", $"write a JSON array, e.g. [\"{scalar}\"]");
        }

        foreach (var entry in proxies.GetChildren())
        {
            if (!ClientIdentity.TrustedProxies.TryParse(entry.Value, out _))
            {
                errors.Add(entry.Path, $"{Quote(entry.Value)} is not an address or CIDR range",
                    "use an address such as \"10.0.0.7\" or a range such as \"10.0.0.0/8\" or \"fd00::/8\" (host bits of a range must be zero)");
            }
        }

        // The key itself is never quoted: it is a secret.
        var key = section.GetSection("HashKey");
        if (key.Value is { } value && value.Length < MinHashKeyLength)
        {
            errors.Add(key.Path, $"is shorter than {MinHashKeyLength} characters",
                $"use a random string of at least {MinHashKeyLength} characters, or remove it to get a random key per process");
        }
        else if (key.Value is not null && privacy is not ClientAddressPrivacy.Hash)
        {
            errors.Add(key.Path, "is set but ClientIdentity:Privacy is not \"Hash\"", "set Privacy to \"Hash\" or remove HashKey");
        }
    }

    private static void CheckKernelProbe(IConfigurationSection section, Errors errors)
    {
        CheckKnownKeys(section, KernelProbeKeys, errors);
        CheckEnum<KernelProbeMode>(section.GetSection("Mode"), errors);
        CheckBool(section.GetSection("Ja4t"), errors);
        CheckInt(section.GetSection("FlowTableSize"), 1, FlowTableSizeLimit, errors);
        CheckInt(section.GetSection("HandshakeTimeoutSeconds"), 1, 3600, errors);
        var buffer = section.GetSection("EventBufferBytes");
        CheckInt(buffer, 4096, 64 << 20, errors);
        if (int.TryParse(buffer.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) && bytes > 0 && (bytes & (bytes - 1)) != 0)
        {
            errors.Add(buffer.Path, $"{bytes} is not a power of two", "use e.g. 4096, 65536 or 262144 (the kernel's ring buffer needs a power of two)");
        }

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

        CheckBool(section.GetSection("Console"), errors);
        CheckBool(jsonLines.GetSection("Enabled"), errors);
        var maxBytes = jsonLines.GetSection("MaxBytes");
        CheckWholeNumber(maxBytes, JsonLinesSettings.MinMaxBytes, JsonLinesSettings.MaxMaxBytes, "a number of bytes", errors);
        var maxFiles = jsonLines.GetSection("MaxFiles");
        CheckInt(maxFiles, 1, JsonLinesSettings.MaxMaxFiles, errors);
        if (maxFiles.Value is not null && string.IsNullOrEmpty(maxBytes.Value))
        {
            errors.Add(maxFiles.Path, "is set without Telemetry:JsonLines:MaxBytes, so nothing would ever rotate",
                "set MaxBytes too (e.g. 104857600 for 100 MiB files), or remove MaxFiles");
        }
        CheckInt(section.GetSection("LossReportIntervalSeconds"), 1, 3600, errors);
        CheckEnum<AccessRecordForm>(section.GetSection("AccessRecord"), errors);
        CheckInt(section.GetSection("DrainTimeoutSeconds"), 0, 60, errors);
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

    private static void CheckHealth(IConfigurationSection section, Errors errors)
    {
        CheckKnownKeys(section, HealthKeys, errors);
        CheckBool(section.GetSection("LogProbes"), errors);
        CheckInt(section.GetSection("StuckAfterSeconds"), 1, 3600, errors);
        var urls = section.GetSection("Urls");
        foreach (var value in (urls.Value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Kestrel's wildcards (http://*:9090, http://+:9090) are no URI hosts: check them as 0.0.0.0.
            var candidate = value.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
            if (!(Uri.TryCreate(candidate, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && candidate.Count(c => c == ':') >= 2))
            {
                errors.Add(urls.Path, $"{Quote(value)} is not an http URL with a port",
                    "use e.g. \"http://0.0.0.0:9090\" (a port apart from the proxy's; several separated by ;)");
            }
        }
    }

    private static void CheckReverseProxy(IConfigurationSection section, Errors errors)
    {
        if (!section.GetSection("Routes").GetChildren().Any())
        {
            errors.Add("ReverseProxy:Routes", "no route is defined, so every request would get 404",
                "add a route and a cluster in YARP's schema, as in the repository's config/gateway.json");
        }

        foreach (var route in section.GetSection("Routes").GetChildren())
        {
            var metadata = route.GetSection("Metadata");
            var entries = metadata.GetChildren().Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!);
            RouteOverrides.Parse(entries, (key, problem, fix) => errors.Add($"{metadata.Path}:{key}", problem, fix));
        }
    }

    private static void CheckKnownKeys(IConfigurationSection section, string[] known, Errors errors, IEnumerable<string>? reportedElsewhere = null)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase)
                && reportedElsewhere?.Contains(child.Key, StringComparer.OrdinalIgnoreCase) != true)
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

    private static void CheckInt(IConfigurationSection setting, int min, int max, Errors errors) =>
        CheckWholeNumber(setting, min, max, "a number", errors);

    private static void CheckWholeNumber(IConfigurationSection setting, long min, long max, string what, Errors errors)
    {
        if (setting.Value is not { } value)
        {
            return;
        }

        if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            errors.Add(setting.Path, $"{Quote(value)} is not a whole number", $"use {what} from {min} to {max}");
        }
        else if (number < min || number > max)
        {
            errors.Add(setting.Path, $"{number} is out of range", $"use {what} from {min} to {max}");
        }
    }

    private static List<string> CheckNames(IConfigurationSection list, Errors errors, Func<string?, bool> isName)
    {
        if (list.Value is { Length: > 0 } scalar)
        {
            errors.Add(list.Path, $"is a single value {Quote(scalar)}, not a list", $"write a JSON array, e.g. [\"{scalar}\"]");
            return [scalar];
        }

        var names = new List<string>();
        foreach (var entry in list.GetChildren())
        {
            if (!isName(entry.Value))
            {
                errors.Add(entry.Path, $"{Quote(entry.Value)} is not a valid name",
                    "use the name only, e.g. \"x-request-id\" (letters, digits and !#$%&'*+-.^_`|~; no spaces or separators)");
                continue;
            }

            names.Add(entry.Value!);
        }

        return names;
    }

    private static void CheckBool(IConfigurationSection setting, Errors errors)
    {
        if (setting.Value is { } flag && !bool.TryParse(flag, out _))
        {
            errors.Add(setting.Path, $"{Quote(flag)} is not a boolean", "use true or false");
        }
    }

    private static void CheckRatio(IConfigurationSection setting, Errors errors) =>
        CheckDouble(setting, 0, 1, errors, "a number from 0 to 1, e.g. 0.1 to keep one request in ten");

    private static void CheckDouble(IConfigurationSection setting, double min, double max, Errors errors, string what)
    {
        if (setting.Value is not { } value)
        {
            return;
        }

        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
        {
            errors.Add(setting.Path, $"{Quote(value)} is not a number", $"use {what}");
        }
        else if (number < min || number > max)
        {
            errors.Add(setting.Path, $"{value} is out of range", $"use {what}");
        }
    }

    private static string Quote(string? value) => value is null ? "(empty)" : $"\"{value}\"";

    private sealed class Errors(SettingSource source)
    {
        public List<string> List { get; } = [];

        public void Add(string settingPath, string problem, string fix) =>
            List.Add($"{source.Describe(settingPath)}: {settingPath}: {problem}; {fix}.");
    }
}
