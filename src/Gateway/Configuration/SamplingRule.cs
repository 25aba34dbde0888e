using Gateway.Rules;

namespace Gateway.Configuration;

/// <summary>
/// One entry of <c>Sampling:AlwaysKeep</c>: a request matching every condition that is set is
/// always recorded, whatever <see cref="SamplingSettings.Ratio"/> says. An entry with no
/// condition is refused at start.
/// </summary>
public sealed class SamplingRule
{
    /// <summary>YARP route id the request matched (case-sensitive, as YARP spells ids).</summary>
    public string? RouteId { get; set; }

    /// <summary>Request path prefix, e.g. <c>/admin</c> (case-insensitive).</summary>
    public string? PathPrefix { get; set; }

    /// <summary>Request method, e.g. <c>POST</c> (case-insensitive).</summary>
    public string? Method { get; set; }

    /// <summary>A request header that must be present, e.g. <c>x-debug</c>.</summary>
    public string? Header { get; set; }

    /// <summary>Lowest response status that matches, e.g. 400 to keep every client error.</summary>
    public int? MinStatus { get; set; }

    /// <summary>Shortest duration in milliseconds that matches: keeps slow requests.</summary>
    public double? MinDurationMs { get; set; }

    /// <summary>
    /// The entry as a rule of the one mechanism that decides matches (Rules/RuleSet.cs): a CEL
    /// condition with every condition set, and no action but keeping the record.
    /// </summary>
    public RuleDefinition ToRule(string name)
    {
        var tests = new List<string>();
        if (RouteId is not null)
        {
            tests.Add($"\"gateway.route.id\" in attrs && attrs[\"gateway.route.id\"] == {CelLiteral.Quote(RouteId)}");
        }

        if (PathPrefix is not null)
        {
            tests.Add($"attrs[\"url.path\"].lowerAscii().startsWith({CelLiteral.Quote(LowerAscii(PathPrefix))})");
        }

        if (Method is not null)
        {
            tests.Add($"attrs[\"http.request.method\"].upperAscii() == {CelLiteral.Quote(Method.ToUpperInvariant())}");
        }

        if (Header is not null)
        {
            tests.Add($"\"http.request.header.{Header.ToLowerInvariant()}\" in attrs");
        }

        if (MinStatus is { } status)
        {
            tests.Add($"attrs[\"http.response.status_code\"] >= {status}");
        }

        if (MinDurationMs is { } ms)
        {
            tests.Add($"attrs[\"gateway.request.duration_ms\"] >= {CelLiteral.Number(ms)}");
        }

        return new RuleDefinition(name, string.Join(" && ", tests), RuleActions.None);
    }

    private static string LowerAscii(string s) => string.Create(s.Length, s, static (span, text) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = char.IsAsciiLetterUpper(text[i]) ? (char)(text[i] + 32) : text[i];
        }
    });
}
