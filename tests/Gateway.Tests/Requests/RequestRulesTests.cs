using System.Net;
using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.Requests;
using Gateway.Rules;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Requests;

/// <summary>The rules' entry points on the request path, as the request room calls them.</summary>
public sealed class RequestRulesTests
{
    private static readonly ConnectionTuple Tuple = new(IPAddress.Loopback, 8080, IPAddress.Loopback, 40000);

    [Fact]
    public void NoRulesConfigured_EntryPointsAllocateNothingAndMakeNoOutcome()
    {
        var snapshot = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings());
        var (record, context, attributes) = Request(snapshot);
        var wire = new DisabledWireView("test");
        using var services = new ServiceCollection().BuildServiceProvider();
        RunPath(record, context, wire, attributes, services);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            RunPath(record, context, wire, attributes, services);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(record.Rules);
        Assert.Null(record.RuleInput);
        Assert.Null(record.PooledOutcome);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void RulesConfigured_FirstRequestMakesTheViewAndOutcome_LaterRequestsReuseThem()
    {
        var rules = RuleSet.Compile([new RuleDefinition("r", "\"http.request.header.x-never\" in attrs", RuleActions.Tag)]);
        var snapshot = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings(), rules);
        var (record, context, attributes) = Request(snapshot);
        var wire = new DisabledWireView("test");
        using var services = new ServiceCollection().BuildServiceProvider();

        // The measurement sees what the rules make: the first request builds the pooled view and outcome.
        var before = GC.GetAllocatedBytesForCurrentThread();
        RunPath(record, context, wire, attributes, services);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before > 0);
        var outcome = record.Rules;
        Assert.NotNull(outcome);

        RunPath(record, context, wire, attributes, services);
        Assert.Same(outcome, record.Rules);
        Assert.False(record.Rules!.Matched);
    }

    private static (RequestRecord Record, HttpContext Context, AttributeList Attributes) Request(PolicySnapshot snapshot)
    {
        var telemetry = new TelemetryRecord();
        var span = telemetry.AddSpan();
        var record = RequestRecord.For(telemetry, snapshot, span, null);
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/api";
        context.Features.Set(record);
        return (record, context, span.Attributes);
    }

    // Start, the check before proxying, and the end, in the request room's order.
    private static void RunPath(RequestRecord record, HttpContext context, IWireView wire, AttributeList attributes, IServiceProvider services)
    {
        RequestRules.Start(record, context, wire, Tuple);
        RequestRules.DenyBeforeProxying(context, record);
        RequestRules.Finish(record, attributes, null, "api", 1.0, services);
    }
}
