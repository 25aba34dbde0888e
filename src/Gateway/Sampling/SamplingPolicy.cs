using Gateway.Configuration;
using Gateway.Telemetry.Records;

namespace Gateway.Sampling;

/// <summary>
/// Decides, when a response has ended, whether its access record and server span (and the
/// client spans of its upstream attempts) are recorded: always for status &gt;= 500, a wire
/// anomaly or a matching rule; otherwise with the configured ratio.
/// </summary>
public sealed class SamplingPolicy
{
    private readonly double _ratio;
    private readonly SamplingRule[] _rules;

    /// <summary>Builds the policy from validated settings.</summary>
    public SamplingPolicy(SamplingSettings settings)
    {
        _ratio = Math.Clamp(settings.Ratio, 0, 1);
        _rules = [.. settings.AlwaysKeep ?? []];
    }

    /// <summary>Decides for one request.</summary>
    public SamplingDecision Decide(in SamplingRequest request)
    {
        if (request.Status >= 500)
        {
            return SamplingDecision.ServerError;
        }

        if (request.WireAnomaly)
        {
            return SamplingDecision.WireAnomaly;
        }

        foreach (var rule in _rules)
        {
            if (Matches(rule, request))
            {
                return SamplingDecision.Rule;
            }
        }

        return ByRatio(request.TraceId, request.RouteRatio ?? _ratio) ? SamplingDecision.Ratio : SamplingDecision.Dropped;
    }

    /// <summary>
    /// The ratio decision: the last 8 bytes of the trace id, which W3C trace ids fill with random
    /// bits, compared with the ratio. A request without a trace id draws at random.
    /// </summary>
    internal static bool ByRatio(TraceId traceId, double ratio)
    {
        if (ratio >= 1)
        {
            return true;
        }

        if (ratio <= 0)
        {
            return false;
        }

        ulong draw;
        if (traceId.IsEmpty)
        {
            draw = (ulong)Random.Shared.NextInt64() << 1;
        }
        else
        {
            draw = traceId.Low;
        }

        return draw < (ulong)(ratio * ulong.MaxValue);
    }

    private static bool Matches(SamplingRule rule, in SamplingRequest request) =>
        (rule.RouteId is null || string.Equals(rule.RouteId, request.RouteId, StringComparison.Ordinal))
        && (rule.PathPrefix is null || request.Path.StartsWith(rule.PathPrefix, StringComparison.OrdinalIgnoreCase))
        && (rule.Method is null || string.Equals(rule.Method, request.Method, StringComparison.OrdinalIgnoreCase))
        && (rule.Header is null || request.Headers.ContainsKey(rule.Header))
        && (rule.MinStatus is null || request.Status >= rule.MinStatus)
        && (rule.MinDurationMs is null || request.DurationMs >= rule.MinDurationMs);
}
