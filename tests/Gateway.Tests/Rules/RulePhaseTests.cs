using Gateway.Rules;

namespace Gateway.Tests.Rules;

/// <summary>
/// Rules that read only the connection's handshake are evaluated once per connection, the rest per
/// request; evaluating allocates nothing; a reload keeps the pacing of unchanged rules.
/// </summary>
public sealed class RulePhaseTests
{
    private static readonly string[] WindowsUserAgent = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64)"];

    [Theory]
    [InlineData("\"tls.client.ja4\" in attrs && attrs[\"tls.client.ja4\"] == \"x\"", RulePhase.Connection)]
    [InlineData("attrs[\"wire.ip.ttl\"] < 64 && attrs[\"wire.tcp.options\"].startsWith(\"2-4\")", RulePhase.Connection)]
    [InlineData("attrs[\"gateway.client.os_hint\"] == \"windows\"", RulePhase.Connection)]
    [InlineData("attrs[\"wire.ip.ttl\"] < 64 && attrs[\"http.request.header.user-agent\"].exists(v, v.contains(\"Windows\"))", RulePhase.Request)]
    [InlineData("attrs[\"wire.conn.retransmits_out\"] > 10", RulePhase.Request)]
    [InlineData("\"ua_os\" in attrs[\"gateway.client.claims_mismatch\"]", RulePhase.Request)]
    [InlineData("attrs[\"tls.cipher\"] == \"x\" && attrs[\"http.response.status_code\"] == 500", RulePhase.Response)]
    public void Phase_IsTheLatestOfWhatTheConditionReads(string condition, RulePhase expected) =>
        Assert.Equal(expected, RuleSet.Compile([new RuleDefinition("r", condition, RuleActions.Tag)]).All[0].Condition.Phase);

    [Fact]
    public void ConnectionRule_EvaluatedOncePerConnection_AppliedToEachRequest()
    {
        var rules = RuleSet.Compile(
        [
            new RuleDefinition("ja4", "\"tls.client.ja4\" in attrs && attrs[\"tls.client.ja4\"] == \"t13d_bad\"", RuleActions.Tag | RuleActions.Deny),
            new RuleDefinition("ua", "attrs[\"http.request.header.user-agent\"].exists(v, v.contains(\"Windows\"))", RuleActions.Tag),
        ]);
        var first = new CountingAttributes(new() { ["tls.client.ja4"] = "t13d_bad", ["http.request.header.user-agent"] = WindowsUserAgent });
        var second = new CountingAttributes(new() { ["tls.client.ja4"] = "t13d_bad", ["http.request.header.user-agent"] = WindowsUserAgent });
        var connection = new ConnectionRuleCache();
        var outcomes = new List<RuleOutcome>();
        for (var i = 0; i < 3; i++)
        {
            var outcome = new RuleOutcome();
            rules.Evaluate(RulePhase.Request, i == 0 ? first : second, "api", outcome, connection: connection);
            outcomes.Add(outcome);
        }

        // The JA4 was read at the first request only (once, though its rule names it twice); the header at each.
        Assert.Equal(1, first.Reads["tls.client.ja4"]);
        Assert.False(second.Reads.ContainsKey("tls.client.ja4"));
        Assert.Equal(2, second.Reads["http.request.header.user-agent"]);
        Assert.All(outcomes, o => Assert.Equal("ja4", o.DeniedBy));
        Assert.All(outcomes, o => Assert.Equal(["ja4", "ua"], o.Tags));

        // Another rule set (a reload) evaluates again on the same connection.
        var reloaded = RuleSet.Compile([new RuleDefinition("ja4", "\"tls.client.ja4\" in attrs", RuleActions.Tag)]);
        var after = new RuleOutcome();
        reloaded.Evaluate(RulePhase.Request, second, "api", after, connection: connection);
        Assert.Equal(1, second.Reads["tls.client.ja4"]);
        Assert.Equal(["ja4"], after.Tags);
    }

    [Fact]
    public void ConnectionRule_OutOfRouteScope_StillEvaluatedOnceForTheRequestsThatFollow()
    {
        var rules = RuleSet.Compile([new RuleDefinition("ttl", "attrs[\"wire.ip.ttl\"] < 30", RuleActions.Tag, Routes: ["admin"])]);
        var input = new CountingAttributes(new() { ["wire.ip.ttl"] = 20L });
        var connection = new ConnectionRuleCache();
        var api = new RuleOutcome();
        var admin = new RuleOutcome();

        rules.Evaluate(RulePhase.Request, input, "api", api, connection: connection);
        rules.Evaluate(RulePhase.Request, input, "admin", admin, connection: connection);

        Assert.False(api.Matched);
        Assert.True(admin.Matched);
        Assert.Equal(1, input.Reads["wire.ip.ttl"]);
    }

    [Fact]
    public void Evaluate_TenTypicalRulesNoMatch_AllocatesNothing()
    {
        // The ten rules of bench/Gateway.Benchmarks/RuleBenchmarks.cs.
        var rules = Gateway.Benchmarks.TypicalRules.Compile();
        var input = new MapAttributes(Gateway.Benchmarks.TypicalRules.Request());
        var outcome = new RuleOutcome();
        var connection = new ConnectionRuleCache();
        for (var i = 0; i < 3; i++)
        {
            rules.Evaluate(RulePhase.Request, input, "api", outcome.Reset(), connection: connection);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            rules.Evaluate(RulePhase.Request, input, "api", outcome.Reset(), connection: connection);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.False(outcome.Matched);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Reload_UnchangedRuleKeepsItsPacing_ChangedStartsAfresh_HeldBackMatchesStillReported()
    {
        var time = new ManualTime();
        RuleDefinition Rule(string name, string header) => new(name, $"\"http.request.header.{header}\" in attrs", RuleActions.Alert, AlertInterval: TimeSpan.FromSeconds(60));
        var input = new TestAttributes(new() { ["http.request.header.x-a"] = new[] { "1" }, ["http.request.header.x-b"] = new[] { "1" } });
        var v1 = RuleSet.Compile([Rule("same", "x-a"), Rule("changed", "x-b"), Rule("removed", "x-b")], time);
        var firstAlerts = Matches(v1, input, 3);
        Assert.Equal(["changed", "removed", "same"], firstAlerts.Select(a => a.Rule).Order());

        // Each rule now holds back two matches. The reload changes "changed" and drops "removed".
        var v2 = RuleSet.Compile([Rule("same", "x-a"), Rule("changed", "x-a")], time, previous: v1);
        var afterReload = Matches(v2, input, 1);

        // The unchanged rule is still inside its interval: no new alert at once. The changed rule alerts at once.
        Assert.Equal(["changed"], afterReload.Select(a => a.Rule));
        // What the changed and removed rules held back is reported at the next flush, not lost.
        var flushed = v2.FlushHeldBack();
        Assert.Equal([("changed", 2L), ("removed", 2L)], flushed.Select(a => (a.Rule, a.Count)).Order());
        Assert.Empty(v2.FlushHeldBack());

        // Once the interval is over, the unchanged rule reports all it held back, across the reload: 2 + 1.
        time.Advance(TimeSpan.FromSeconds(61));
        var same = Assert.Single(v2.FlushHeldBack(), a => a.Rule == "same");
        Assert.Equal(3, same.Count);
    }

    private static List<RuleAlert> Matches(RuleSet rules, IRuleAttributes input, int times)
    {
        var alerts = new List<RuleAlert>();
        for (var i = 0; i < times; i++)
        {
            var outcome = new RuleOutcome();
            rules.Evaluate(RulePhase.Request, input, null, outcome);
            alerts.AddRange(outcome.Alerts);
        }

        return alerts;
    }

    private sealed class MapAttributes(Dictionary<string, RuleValue> values) : IRuleAttributes
    {
        public bool TryGet(string name, out RuleValue value) => values.TryGetValue(name, out value);
    }

    [Fact]
    public void RequestRules_ReadEachAttributeOncePerEvaluation_AndOnlyWhereReached()
    {
        // Three rules test the User-Agent; one reads a header only after a test that fails; one reads a
        // header the request lacks twice. Each attribute is asked of the request once, and not at all
        // where CEL's short circuit never reaches it; the results are as if each rule had read on its own.
        var rules = RuleSet.Compile(
        [
            new RuleDefinition("windows", "attrs[\"http.request.header.user-agent\"].exists(v, v.contains(\"Windows\"))", RuleActions.Tag),
            new RuleDefinition("scanner", "attrs[\"http.request.header.user-agent\"].exists(v, v.matches(\"(?i)sqlmap|nikto\"))", RuleActions.Tag),
            new RuleDefinition("two", "size(attrs[\"http.request.header.user-agent\"]) > 1 || \"http.request.header.user-agent\" in attrs && attrs[\"url.path\"] == \"/x\"", RuleActions.Tag),
            new RuleDefinition("admin", "attrs[\"url.path\"].startsWith(\"/admin\") && attrs[\"http.request.header.x-token\"] == \"t\"", RuleActions.Tag),
            new RuleDefinition("absent", "attrs[\"http.request.header.x-absent\"] == \"a\" || \"http.request.header.x-absent\" in attrs", RuleActions.Tag),
        ]);
        var input = new CountingAttributes(new() { ["http.request.header.user-agent"] = WindowsUserAgent, ["url.path"] = "/api" });
        var outcome = new RuleOutcome();
        rules.Evaluate(RulePhase.Request, input, null, outcome);

        Assert.Equal(["windows"], outcome.Tags);
        Assert.Equal(1, outcome.Errors);
        Assert.Equal(1, rules.All.Single(r => r.Name == "absent").Errors);
        Assert.Equal(1, input.Reads["http.request.header.user-agent"]);
        Assert.Equal(1, input.Reads["url.path"]);
        Assert.Equal(1, input.Reads["http.request.header.x-absent"]);
        Assert.False(input.Reads.ContainsKey("http.request.header.x-token"));
    }

    private sealed class CountingAttributes(Dictionary<string, object?> values) : IRuleAttributes
    {
        private readonly TestAttributes _inner = new(values);

        public Dictionary<string, int> Reads { get; } = [];

        public bool TryGet(string name, out RuleValue value)
        {
            Reads[name] = Reads.GetValueOrDefault(name) + 1;
            return _inner.TryGet(name, out value);
        }
    }
}
