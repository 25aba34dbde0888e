using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// Kestrel's limits for slow and idle clients, from <c>Kestrel:Limits</c>, over defaults that
/// are safer for a gateway than Kestrel's own: a slowloris client that trickles its headers is
/// cut after <see cref="DefaultRequestHeadersTimeout"/>, an idle connection after
/// <see cref="DefaultKeepAliveTimeout"/>, and the number of connections is capped.
/// </summary>
internal static class KestrelLimits
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Kestrel:Limits";

    /// <summary>Idle time allowed between requests (and before the first). Kestrel's own default is 130 s.</summary>
    public static readonly TimeSpan DefaultKeepAliveTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed to receive a request's headers. Kestrel's own default is 30 s.</summary>
    public static readonly TimeSpan DefaultRequestHeadersTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Connections open at once (each costs a descriptor and a flow entry). Kestrel's own default is unlimited.</summary>
    public const long DefaultMaxConcurrentConnections = 10_000;

    /// <summary>The keys read from <see cref="SectionName"/>; the data rates also take <c>:BytesPerSecond</c> and <c>:GracePeriod</c>.</summary>
    public static readonly string[] Keys =
    [
        "KeepAliveTimeout", "RequestHeadersTimeout", "MaxConcurrentConnections", "MaxConcurrentUpgradedConnections",
        "MaxRequestBodySize", "MaxRequestHeaderCount", "MaxRequestHeadersTotalSize", "MaxRequestLineSize",
        "MinRequestBodyDataRate", "MinResponseDataRate",
    ];

    /// <summary>Sets the gateway's defaults, then what the file says. The values were validated before.</summary>
    public static void Apply(KestrelServerLimits limits, IConfiguration configuration)
    {
        limits.KeepAliveTimeout = DefaultKeepAliveTimeout;
        limits.RequestHeadersTimeout = DefaultRequestHeadersTimeout;
        limits.MaxConcurrentConnections = DefaultMaxConcurrentConnections;

        var section = configuration.GetSection(SectionName);
        if (Time(section, "KeepAliveTimeout") is { } keepAlive) limits.KeepAliveTimeout = keepAlive;
        if (Time(section, "RequestHeadersTimeout") is { } headers) limits.RequestHeadersTimeout = headers;
        if (Number(section, "MaxConcurrentConnections") is { } connections) limits.MaxConcurrentConnections = connections;
        if (Number(section, "MaxConcurrentUpgradedConnections") is { } upgraded) limits.MaxConcurrentUpgradedConnections = upgraded;
        if (Number(section, "MaxRequestBodySize") is { } body) limits.MaxRequestBodySize = body;
        if (Number(section, "MaxRequestHeaderCount") is { } count) limits.MaxRequestHeaderCount = (int)count;
        if (Number(section, "MaxRequestHeadersTotalSize") is { } total) limits.MaxRequestHeadersTotalSize = (int)total;
        if (Number(section, "MaxRequestLineSize") is { } line) limits.MaxRequestLineSize = (int)line;
        if (Rate(section.GetSection("MinRequestBodyDataRate"), limits.MinRequestBodyDataRate) is { } bodyRate) limits.MinRequestBodyDataRate = bodyRate;
        if (Rate(section.GetSection("MinResponseDataRate"), limits.MinResponseDataRate) is { } responseRate) limits.MinResponseDataRate = responseRate;
    }

    /// <summary>A problem with one setting of <see cref="SectionName"/> as (path, reason, fix), or none.</summary>
    public static IEnumerable<(string Path, string Reason, string Fix)> Problems(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        foreach (var child in section.GetChildren())
        {
            if (!Keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                yield return (child.Path, "is not a known setting", $"use one of {string.Join(", ", Keys.Select(k => $"{SectionName}:{k}"))}");
            }
            else if (child.Key.EndsWith("Timeout", StringComparison.OrdinalIgnoreCase))
            {
                if (!TimeSpan.TryParse(child.Value, CultureInfo.InvariantCulture, out var t) || t <= TimeSpan.Zero)
                    yield return (child.Path, $"\"{child.Value}\" is not a positive duration", "use hh:mm:ss, e.g. \"00:00:15\"");
            }
            else if (child.Key.EndsWith("DataRate", StringComparison.OrdinalIgnoreCase))
            {
                var bytes = child.GetSection("BytesPerSecond").Value;
                var grace = child.GetSection("GracePeriod").Value;
                if ((bytes is not null && (!double.TryParse(bytes, NumberStyles.Float, CultureInfo.InvariantCulture, out var b) || b <= 0))
                    || (grace is not null && (!TimeSpan.TryParse(grace, CultureInfo.InvariantCulture, out var g) || g < TimeSpan.FromSeconds(1))))
                    yield return (child.Path, "needs BytesPerSecond > 0 and GracePeriod >= 00:00:01", "e.g. { \"BytesPerSecond\": 240, \"GracePeriod\": \"00:00:05\" }");
            }
            else if (!long.TryParse(child.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n <= 0)
            {
                yield return (child.Path, $"\"{child.Value}\" is not a positive whole number", "use a number greater than 0");
            }
        }
    }

    private static TimeSpan? Time(IConfigurationSection section, string key) =>
        TimeSpan.TryParse(section[key], CultureInfo.InvariantCulture, out var value) ? value : null;

    private static long? Number(IConfigurationSection section, string key) =>
        long.TryParse(section[key], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static MinDataRate? Rate(IConfigurationSection section, MinDataRate? current)
    {
        if (!section.Exists())
        {
            return null;
        }

        double bytes = double.TryParse(section["BytesPerSecond"], NumberStyles.Float, CultureInfo.InvariantCulture, out var b) ? b : current?.BytesPerSecond ?? 240;
        var grace = TimeSpan.TryParse(section["GracePeriod"], CultureInfo.InvariantCulture, out var g) ? g : current?.GracePeriod ?? TimeSpan.FromSeconds(5);
        return new MinDataRate(bytes, grace);
    }
}
