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
}
