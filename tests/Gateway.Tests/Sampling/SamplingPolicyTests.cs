using Gateway.Telemetry.Records;
using Gateway.Configuration;
using Gateway.Sampling;

namespace Gateway.Tests.Sampling;

public sealed class SamplingPolicyTests
{
    private static SamplingRequest Request(int status = 200, bool anomaly = false, TraceId traceId = default) => new()
    {
        TraceId = traceId == default ? TraceId.NewRandom() : traceId,
        RouteId = "r1",
        Status = status,
        WireAnomaly = anomaly,
    };

    [Fact]
    public void Decide_RatioZero_OrdinaryRequestIsDropped()
    {
        Assert.Equal(SamplingDecision.Dropped, new SamplingPolicy(new SamplingSettings { Ratio = 0 }).Decide(Request()));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(599)]
    public void Decide_RatioZeroServerError_IsKept(int status)
    {
        Assert.Equal(SamplingDecision.ServerError, new SamplingPolicy(new SamplingSettings { Ratio = 0 }).Decide(Request(status)));
    }

    [Fact]
    public void Decide_RatioZeroFailedBelow500_IsKeptAsAnError()
    {
        // A failed gRPC call is HTTP 200.
        var policy = new SamplingPolicy(new SamplingSettings { Ratio = 0 });

        Assert.Equal(SamplingDecision.ServerError, policy.Decide(Request() with { Failed = true }));
        Assert.Equal(SamplingDecision.Dropped, policy.Decide(Request() with { Failed = false }));
    }

    [Fact]
    public void Decide_RatioZeroWireAnomaly_IsKept()
    {
        Assert.Equal(SamplingDecision.WireAnomaly, new SamplingPolicy(new SamplingSettings { Ratio = 0 }).Decide(Request(anomaly: true)));
    }

    [Fact]
    public void Decide_RatioZeroRuleMatched_IsKept()
    {
        // Which rule matched is the rules' decision (RulesConfigTests cover the AlwaysKeep entries as rules).
        var policy = new SamplingPolicy(new SamplingSettings { Ratio = 0 });

        Assert.Equal(SamplingDecision.Rule, policy.Decide(Request() with { RuleMatched = true }));
        Assert.Equal(SamplingDecision.Dropped, policy.Decide(Request()));
    }

    [Fact]
    public void Decide_RouteRatioOne_OverridesGlobalZero()
    {
        var request = Request() with { RouteRatio = 1 };

        Assert.Equal(SamplingDecision.Ratio, new SamplingPolicy(new SamplingSettings { Ratio = 0 }).Decide(request));
    }

    [Fact]
    public void ByRatio_SameTraceId_SameDecisionAndAboutTheRatioOverManyTraces()
    {
        var random = new Random(4);
        var kept = 0;
        for (var i = 0; i < 4000; i++)
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            var traceId = TraceId.FromBytes(bytes);
            var decision = SamplingPolicy.ByRatio(traceId, 0.25);
            Assert.Equal(decision, SamplingPolicy.ByRatio(traceId, 0.25));
            kept += decision ? 1 : 0;
        }

        Assert.InRange(kept, 850, 1150);
    }
}
