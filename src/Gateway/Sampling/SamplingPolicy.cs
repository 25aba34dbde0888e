using Gateway.Configuration;
using Gateway.Telemetry.Records;

namespace Gateway.Sampling;

/// <summary>
/// Decides, when a response has ended, whether its access record and server span (and the
/// client spans of its upstream attempts) are recorded: always for a failed request (status
/// &gt;= 500, or a failed gRPC call, which is HTTP 200), a wire anomaly or a matching rule;
/// otherwise with the configured ratio. Whether a rule matched is
/// the rules' decision (Rules/RuleSet.cs, which also holds the <c>AlwaysKeep</c> entries): one
/// mechanism, so sampling never hides a match. A record whose response was still leaving is
/// decided once its wire figures have settled, with the anomaly and the matches they showed.
/// </summary>
public sealed class SamplingPolicy
{
    private readonly double _ratio;

    /// <summary>Builds the policy from validated settings.</summary>
    public SamplingPolicy(SamplingSettings settings)
    {
        _ratio = Math.Clamp(settings.Ratio, 0, 1);
    }

    /// <summary>Decides for one request.</summary>
    public SamplingDecision Decide(in SamplingRequest request)
    {
        if (request.Status >= 500 || request.Failed)
        {
            return SamplingDecision.ServerError;
        }

        if (request.WireAnomaly)
        {
            return SamplingDecision.WireAnomaly;
        }

        if (request.RuleMatched)
        {
            return SamplingDecision.Rule;
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
}
