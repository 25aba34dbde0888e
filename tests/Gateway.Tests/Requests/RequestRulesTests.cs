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
        RunPath(record, context, wire, attributes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            RunPath(record, context, wire, attributes);
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

        // The measurement sees what the rules make: the first request builds the pooled view and outcome.
        var before = GC.GetAllocatedBytesForCurrentThread();
        RunPath(record, context, wire, attributes);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before > 0);
        var outcome = record.Rules;
        Assert.NotNull(outcome);

        RunPath(record, context, wire, attributes);
        Assert.Same(outcome, record.Rules);
        Assert.False(record.Rules!.Matched);
    }

    [Fact]
    public void TenTypicalRulesNoMatch_EachRequestsThreeSteps_AllocateNothing()
    {
        // The ten rules of RuleBenchmarks on the bench's request (wrk's four headers), each request on a
        // context of its own with request services, as Kestrel gives them: a step that reads
        // HttpContext.RequestServices makes the request's DI scope (184 B), though no alert needs it.
        var rules = Gateway.Benchmarks.TypicalRules.Compile();
        var snapshot = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings(), rules);
        using var services = new ServiceCollection().BuildServiceProvider();
        using var wire = new Support.RecordingWireView(new WireFacts { Ttl = 64, Mss = 65495, Window = 65495, WindowScale = 10, Options = "2-4-8-1-3", PacketsIn = 4, PacketsOut = 3 });
        var connection = new ConnectionRuleCache();
        var telemetry = new TelemetryRecord();
        var contexts = new HttpContext[103];
        for (var i = 0; i < contexts.Length; i++)
        {
            var context = new DefaultHttpContext { ServiceScopeFactory = services.GetRequiredService<IServiceScopeFactory>() };
            context.Request.Method = "GET";
            context.Request.Path = "/api/hello";
            context.Request.Headers.UserAgent = "gateway-bench/1.0 (wrk)";
            context.Request.Headers.Accept = "application/json";
            context.Request.Headers["X-Request-Id"] = "4bf92f35-77b3-4e2a-9a2d-5b1b0c6e7d21";
            context.Request.Headers.Authorization = "Bearer bench-secret-token";
            contexts[i] = context;
        }

        long allocated = 0;
        var matched = false;
        for (var i = 0; i < contexts.Length; i++)
        {
            var span = telemetry.AddSpan();
            var record = RequestRecord.For(telemetry, snapshot, span, null);
            var before = GC.GetAllocatedBytesForCurrentThread();
            RequestRules.Start(record, contexts[i], wire, Tuple, connection);
            RequestRules.DenyBeforeProxying(contexts[i], record);
            RequestRules.Finish(record, span.Attributes, null, "api", 1.0, contexts[i]);
            // The first three make the pooled view, outcome and the connection's cache.
            allocated += i < 3 ? 0 : GC.GetAllocatedBytesForCurrentThread() - before;
            matched |= record.Rules!.Matched || record.Rules.Errors > 0;
            telemetry.Discard();
        }

        Assert.False(matched);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void AttributesResolvedOnceToTheirAccessors_ReadTheRequestAsNamed()
    {
        // Each name is resolved to its accessor at its first read and kept: a header named in any case, a
        // repeated header (its values held as they are), the wire's facts, a fact the probe did not report,
        // the request line; then a second request on the pooled view reads its own values.
        var rules = RuleSet.Compile([
            new RuleDefinition("multi", "size(attrs[\"http.request.header.x-multi\"]) == 2 && attrs[\"http.request.header.x-multi\"][1] == \"b\"", RuleActions.Tag),
            new RuleDefinition("ua", "attrs[\"http.request.header.User-Agent\"].exists(v, v.startsWith(\"gw\"))", RuleActions.Tag),
            new RuleDefinition("wire", "attrs[\"wire.tcp.mss\"] == 1460 && attrs[\"wire.conn.retransmits_out\"] == 3", RuleActions.Tag),
            new RuleDefinition("no-ja4t", "!(\"wire.tcp.ja4t\" in attrs) && \"wire.tcp.options\" in attrs", RuleActions.Tag),
            new RuleDefinition("line", "attrs[\"http.request.method\"] == \"POST\" && attrs[\"url.path\"] == \"/p\"", RuleActions.Tag),
        ]);
        var snapshot = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings(), rules);
        using var wire = new Support.RecordingWireView(new WireFacts { Mss = 1460, RetransmitsOut = 3, Options = "2-4-8-1-3" });
        var (record, context, attributes) = Request(snapshot);
        context.Request.Method = "POST";
        context.Request.Path = "/p";
        context.Request.Headers["X-Multi"] = new Microsoft.Extensions.Primitives.StringValues(["a", "b"]);
        context.Request.Headers.UserAgent = "gw/1";

        RequestRules.Start(record, context, wire, Tuple);
        RequestRules.DenyBeforeProxying(context, record);
        RequestRules.Finish(record, attributes, null, "api", 1.0, context);
        // The rules that read the handshake only come first (the connection phase).
        Assert.Equal(["no-ja4t", "multi", "ua", "wire", "line"], (string[])attributes.Single(a => a.Key == "gateway.rule.matched").Value!);

        var (_, next, nextAttributes) = Request(snapshot);
        next.Request.Headers["X-Multi"] = "b";
        next.Request.Headers.UserAgent = "curl/8";
        RequestRules.Start(record, next, new DisabledWireView("test"), Tuple);
        RequestRules.DenyBeforeProxying(next, record);
        RequestRules.Finish(record, nextAttributes, null, "api", 1.0, next);
        Assert.False(record.Rules!.Matched);
    }

    [Fact]
    public void ResponseRuleOnTheWire_ResponseStillLeaving_EvaluatedOnceFiguresSettle_WithHeadersTakenWhileTheRequestLived()
    {
        var rules = RuleSet.Compile([
            new RuleDefinition("storm", "attrs[\"http.request.header.x-client\"][0] == \"a\" && \"wire.request.retransmits_out\" in attrs && attrs[\"wire.request.retransmits_out\"] > 10", RuleActions.Tag),
        ]);
        var snapshot = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings(), rules);
        var (record, context, attributes) = Request(snapshot);
        context.Request.Headers["X-Client"] = "a";
        RequestRules.Start(record, context, new DisabledWireView("test"), Tuple);
        RequestRules.DenyBeforeProxying(context, record);

        // The request ends while its response is still leaving: the rule waits, taking the header now.
        Assert.True(rules.ResponseRulesReadTheWire);
        Assert.True(RequestRules.WaitForSettledWire(record));
        context.Request.Headers.Clear();
        // Settled later (WaitingRecord adds the figures), then step 3 runs.
        attributes.Add("wire.request.retransmits_out", 19L);
        RequestRules.Finish(record, attributes, null, "api", 1.0, context);

        Assert.True(record.Rules!.Matched);
        Assert.Equal(["storm"], (string[])attributes.Single(a => a.Key == "gateway.rule.matched").Value!);
    }

    [Fact]
    public void SameHeaderReadByManyRules_EachPhaseAndEachRequestSeesItsOwnValue()
    {
        // The view keeps what one evaluation read (the User-Agent is read by three of the ten typical
        // rules): the response's rules and the next request on the pooled record must still read anew.
        var rules = RuleSet.Compile([
            new RuleDefinition("req-a", "attrs[\"http.request.header.x-client\"][0] == \"a\"", RuleActions.Tag),
            new RuleDefinition("req-a-again", "attrs[\"http.request.header.x-client\"].exists(v, v == \"a\")", RuleActions.Tag),
            new RuleDefinition("resp-b", "attrs[\"http.request.header.x-client\"][0] == \"b\" && attrs[\"http.response.status_code\"] >= 200", RuleActions.Tag),
        ]);
        var snapshot = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings(), rules);
        var (record, context, attributes) = Request(snapshot);

        context.Request.Headers["X-Client"] = "a";
        RequestRules.Start(record, context, new DisabledWireView("test"), Tuple);
        RequestRules.DenyBeforeProxying(context, record);
        context.Request.Headers["X-Client"] = "b";
        attributes.Add("http.response.status_code", 200L);
        RequestRules.Finish(record, attributes, null, "api", 1.0, context);
        Assert.Equal(["req-a", "req-a-again", "resp-b"], (string[])attributes.Single(a => a.Key == "gateway.rule.matched").Value!);

        // The next request on the same pooled record and view.
        var (_, next, nextAttributes) = Request(snapshot);
        next.Request.Headers["X-Client"] = "c";
        RequestRules.Start(record, next, new DisabledWireView("test"), Tuple);
        RequestRules.DenyBeforeProxying(next, record);
        nextAttributes.Add("http.response.status_code", 200L);
        RequestRules.Finish(record, nextAttributes, null, "api", 1.0, next);
        Assert.False(record.Rules!.Matched);
        Assert.DoesNotContain(nextAttributes, a => a.Key == "gateway.rule.matched");
    }

    [Fact]
    public void ResponseRuleNotOnTheWire_DoesNotWaitForTheFigures()
    {
        var rules = RuleSet.Compile([new RuleDefinition("errors", "attrs[\"http.response.status_code\"] >= 500", RuleActions.Tag)]);
        var snapshot = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings(), rules);
        var (record, context, _) = Request(snapshot);
        RequestRules.Start(record, context, new DisabledWireView("test"), Tuple);

        Assert.False(rules.ResponseRulesReadTheWire);
        Assert.False(RequestRules.WaitForSettledWire(record));
    }

    [Theory]
    [InlineData(null, null, 50, 50, true)]
    [InlineData(null, null, 50, null, true)]
    [InlineData("10.0.0.5", null, 50, 50, true)]
    [InlineData("10.0.0.5", null, 50, 64, false)]
    [InlineData("10.0.0.5", null, 50, null, false)]
    [InlineData(null, "for=10.0.0.5", null, null, true)]
    [InlineData(null, "for=10.0.0.5", null, 50, false)]
    public void RulesReadTheClient_RecordReusesTheirVerdict_OnlyWhereTheFactsAtTheEndGiveTheSame(
        string? forwardedFor, string? forwarded, int? ttlAtRules, int? ttlAtEnd, bool shared)
    {
        // The verdict reads the wire only for the handshake TTL (a local hop claimed from far away: ttl-far),
        // and only where forwarding headers came; the record resolves it with the facts at the end of the request.
        var rules = RuleSet.Compile([new RuleDefinition("mismatch", "\"gateway.forwarded.mismatch\" in attrs || attrs[\"client.address\"] == \"198.18.0.1\"", RuleActions.Tag)]);
        var snapshot = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings { TrustedProxies = ["127.0.0.1"] }, rules);
        var (record, context, _) = Request(snapshot);
        if (forwardedFor is not null)
        {
            context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        }

        if (forwarded is not null)
        {
            context.Request.Headers["Forwarded"] = forwarded;
        }

        using var atRules = new Support.RecordingWireView(new WireFacts { Ttl = ttlAtRules, RetransmitsOut = 0 });
        WireFacts? atEnd = ttlAtEnd is null ? null : new WireFacts { Ttl = ttlAtEnd, RetransmitsOut = 2 };
        RequestRules.Start(record, context, atRules, Tuple);
        RequestRules.DenyBeforeProxying(context, record);

        var verdict = record.RuleInput!.SharedVerdict(atEnd);
        var resolved = snapshot.Identity.Resolve(Tuple.PeerAddress, Tuple.PeerPort, context.Request.Headers["Forwarded"], context.Request.Headers["X-Forwarded-For"], atEnd);
        Assert.Equal(shared, verdict is not null);
        if (verdict is { } reused)
        {
            Assert.Equal(resolved, reused);
        }
    }

    [Fact]
    public void RulesDoNotReadTheClient_NoVerdictToShare()
    {
        var rules = RuleSet.Compile([new RuleDefinition("get", "attrs[\"http.request.method\"] == \"GET\"", RuleActions.Tag)]);
        var snapshot = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings(), rules);
        var (record, context, _) = Request(snapshot);
        RequestRules.Start(record, context, new DisabledWireView("test"), Tuple);
        RequestRules.DenyBeforeProxying(context, record);

        Assert.True(record.Rules!.Matched);
        Assert.Null(record.RuleInput!.SharedVerdict(null));
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
    private static void RunPath(RequestRecord record, HttpContext context, IWireView wire, AttributeList attributes)
    {
        RequestRules.Start(record, context, wire, Tuple);
        RequestRules.DenyBeforeProxying(context, record);
        RequestRules.Finish(record, attributes, null, "api", 1.0, context);
    }
}
