using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// The one OTLP resource of the gateway's traces, logs and metrics: <c>service.name</c> from
/// <c>OTEL_SERVICE_NAME</c> (else <c>OTEL_RESOURCE_ATTRIBUTES</c>, else <c>gateway</c>),
/// <c>service.version</c>, <c>service.instance.id</c> (one per process), <c>telemetry.sdk.*</c>
/// naming the gateway's own exporter, the host and process attributes, and the other
/// <c>OTEL_RESOURCE_ATTRIBUTES</c> pairs, which win over what the gateway detects.
/// </summary>
/// <remarks>
/// Stands in for the SDK's <c>ResourceBuilder</c> with its service, telemetry-SDK and environment
/// detectors: every signal is encoded with this one list, so a backend sees one application
/// (with the SDK's resource, metrics arrived with a <c>service.instance.id</c> the others lacked).
/// </remarks>
internal static class ResourceAttributes
{
    /// <summary>The variable whose <c>key=value,...</c> pairs are added to the resource.</summary>
    public const string AttributesVariable = "OTEL_RESOURCE_ATTRIBUTES";

    /// <summary>The variable that names the service.</summary>
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";

    /// <summary>This process's <c>service.instance.id</c> unless <c>OTEL_RESOURCE_ATTRIBUTES</c> sets one: a random UUID, the same for every signal.</summary>
    public static readonly string ProcessInstanceId = Guid.NewGuid().ToString();

    /// <summary>The gateway's version as its assembly says it (the <c>service.version</c> and <c>telemetry.sdk.version</c>).</summary>
    public static readonly string GatewayVersion =
        typeof(ResourceAttributes).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    /// <summary>
    /// The resource attributes the standard variables in <paramref name="configuration"/> describe.
    /// </summary>
    /// <exception cref="OtlpSettingsException"><c>OTEL_RESOURCE_ATTRIBUTES</c> holds an entry that is not <c>key=value</c>.</exception>
    public static AttributeList From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = Parse(configuration[AttributesVariable]);

        var serviceName = configuration[ServiceNameVariable] is { } named && !string.IsNullOrWhiteSpace(named) ? named.Trim()
            : configured.Find(p => p.Key == "service.name").Value is { Length: > 0 } fromAttributes ? fromAttributes
            : SemanticConventions.DefaultServiceName;

        // Detected first, then overridden by the user's pairs, key by key; service.name leads.
        var pairs = new List<KeyValuePair<string, object>>
        {
            new("service.name", serviceName),
            new("service.version", GatewayVersion),
            new("service.instance.id", ProcessInstanceId),
            new("telemetry.sdk.name", "kernel-header-gateway"),
            new("telemetry.sdk.language", "dotnet"),
            new("telemetry.sdk.version", GatewayVersion),
            new("host.name", Environment.MachineName),
            new("host.arch", HostArch()),
            new("os.type", "linux"),
            new("process.pid", (long)Environment.ProcessId),
            new("process.executable.name", ExecutableName()),
            new("process.runtime.name", ".NET"),
            new("process.runtime.version", Environment.Version.ToString()),
            new("process.runtime.description", RuntimeInformation.FrameworkDescription),
        };
        foreach (var (key, value) in configured)
        {
            if (key == "service.name")
            {
                continue;
            }

            var at = pairs.FindIndex(p => p.Key == key);
            if (at >= 0)
            {
                pairs[at] = new(key, value);
            }
            else
            {
                pairs.Add(new(key, value));
            }
        }

        var attributes = new AttributeList(pairs.Count);
        foreach (var (key, value) in pairs)
        {
            attributes.Add(key, value);
        }

        return attributes;
    }

    /// <summary>
    /// The pairs of <c>OTEL_RESOURCE_ATTRIBUTES</c> (W3C Baggage style: comma-separated <c>key=value</c>,
    /// values percent-decoded; a later key wins).
    /// </summary>
    /// <exception cref="OtlpSettingsException">An entry has no <c>=</c> or an empty key.</exception>
    private static List<KeyValuePair<string, string>> Parse(string? value)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrWhiteSpace(value))
        {
            return pairs;
        }

        var problems = new List<string>();
        var entries = value.Split(',');
        for (var i = 0; i < entries.Length; i++)
        {
            var item = entries[i].Trim();
            if (item.Length == 0)
            {
                continue;
            }

            var equals = item.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? "" : item[..equals].Trim();
            if (key.Length == 0)
            {
                // The specification would drop the whole value; the gateway says so instead of starting without it.
                problems.Add($"{AttributesVariable}: entry {i + 1} is not key=value (write e.g. deployment.environment=prod,team=edge).");
                continue;
            }

            pairs.RemoveAll(p => p.Key == key);
            pairs.Add(new(key, Uri.UnescapeDataString(item[(equals + 1)..].Trim())));
        }

        if (problems.Count > 0)
        {
            throw new OtlpSettingsException(problems);
        }

        return pairs;
    }

    // The semantic conventions' host.arch values.
    private static string HostArch() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "x86",
        Architecture.Arm => "arm32",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static string ExecutableName()
    {
        using var process = Process.GetCurrentProcess();
        return process.ProcessName;
    }
}
