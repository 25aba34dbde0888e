using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// The OTLP resource of the gateway's spans and records: <c>service.name</c> from
/// <c>OTEL_SERVICE_NAME</c> (else <c>OTEL_RESOURCE_ATTRIBUTES</c>, else <c>gateway</c>), the
/// other <c>OTEL_RESOURCE_ATTRIBUTES</c> pairs, and <c>telemetry.sdk.*</c> naming the
/// gateway's own exporter.
/// </summary>
internal static class ResourceAttributes
{
    /// <summary>The resource attributes the standard variables in <paramref name="configuration"/> describe.</summary>
    public static AttributeList From(IConfiguration configuration)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var item in (configuration["OTEL_RESOURCE_ATTRIBUTES"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                // The specification says to ignore a malformed pair; so did the SDK before.
                continue;
            }

            var key = item[..equals].Trim();
            var value = Uri.UnescapeDataString(item[(equals + 1)..].Trim());
            if (key.Length > 0)
            {
                pairs.RemoveAll(p => p.Key == key);
                pairs.Add(new(key, value));
            }
        }

        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } named ? named
            : pairs.Find(p => p.Key == "service.name").Value is { Length: > 0 } fromAttributes ? fromAttributes
            : SemanticConventions.DefaultServiceName;

        var attributes = new AttributeList(pairs.Count + 4)
        {
            { "service.name", serviceName },
        };
        foreach (var (key, value) in pairs)
        {
            if (key != "service.name")
            {
                attributes.Add(key, value);
            }
        }

        attributes.Add("telemetry.sdk.name", "kernel-header-gateway");
        attributes.Add("telemetry.sdk.language", "dotnet");
        attributes.Add("telemetry.sdk.version",
            typeof(ResourceAttributes).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0");
        return attributes;
    }
}
