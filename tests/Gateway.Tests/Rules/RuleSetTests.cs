using System.Text.Json;
using Gateway.Rules;

namespace Gateway.Tests.Rules;

public sealed class RuleSetTests
{
    private static readonly string[] WindowsUserAgent = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64)"];

    private static TestAttributes Request(params (string Name, object? Value)[] values) =>
        new(values.ToDictionary(v => v.Name, v => v.Value));

    [Theory]
    [InlineData("attrs[\"http.request.header.user-agent\"].exists(v, v.contains(\"Windows\"))", true)]
    [InlineData("\"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\" in attrs[\"http.request.header.user-agent\"]", true)]
    [InlineData("attrs[\"http.request.header.user-agent\"][0].startsWith(\"curl/\")", false)]
    [InlineData("size(attrs[\"http.request.header.user-agent\"]) == 1", true)]
    [InlineData("attrs[\"wire.ip.ttl\"] > 64 && attrs[\"wire.ip.ttl\"] <= 128", false)]
    [InlineData("attrs[\"wire.ip.ttl\"] in [64, 128]", true)]
    [InlineData("attrs[\"wire.tcp.options\"].matches(\"^2-4-8-1-3$\")", true)]
    [InlineData("\"tls.client.ja4\" in attrs", false)]
    [InlineData("has(attrs.missing) || attrs[\"url.path\"].lowerAscii().startsWith(\"/admin\")", true)]
    [InlineData("\"tls.client.ja4\" in attrs && attrs[\"tls.client.ja4\"] in [\"t13d1516h2_8daaf6152771_02713d6af862\"]", false)]
    [InlineData("attrs[\"wire.ip.ttl\"] == 64.0", true)]
    public void Evaluate_ConditionsOverHeadersAndWireFacts_MatchAsCelSays(string condition, bool expected)
    {
        var rules = RuleSet.Compile([new RuleDefinition("r", condition, RuleActions.Tag)]);
        var outcome = new RuleOutcome();
        rules.Evaluate(RulePhase.Request, Request(
            ("http.request.header.user-agent", WindowsUserAgent),
            ("wire.ip.ttl", 64L),
            ("wire.tcp.options", "2-4-8-1-3"),
            ("url.path", "/ADMIN/users")), null, outcome);

        Assert.Equal(expected, outcome.Matched);
        Assert.Equal(expected ? ["r"] : [], outcome.Tags);
        Assert.Equal(0, outcome.Errors);
    }

    [Fact]
    public void Evaluate_ManyRules_EachDecidedOnceInOrder_AcrossProgramsAndRouteScopes()
    {
        // 150 rules of the request's phase: three programs of up to 64. Every seventh matches, every
        // eleventh fails (no such key), every thirteenth is scoped to another route, and a condition
        // whose test folds to a constant still reads the request. Each matching rule in scope is tagged
        // once, in configuration order, and each failure is counted once, on the rule and on the request.
        var definitions = new List<RuleDefinition>();
        var expectedTags = new List<string>();
        var expectedErrors = new List<string>();
        for (var i = 0; i < 150; i++)
        {
            var name = $"r{i:D3}";
            var scoped = i % 13 == 0;
            string condition;
            if (i == 100)
            {
                condition = "attrs[\"url.path\"] != \"\" || 1 > 2";
            }
            else if (i == 101)
            {
                condition = "attrs[\"url.path\"] == \"\" && 2 > 1";
            }
            else if (i % 11 == 0)
            {
                condition = "attrs[\"http.request.header.x-missing\"] == \"x\"";
            }
            else
            {
                condition = $"attrs[\"wire.conn.retransmits_out\"] == {(i % 7 == 0 ? 3 : 1000 + i)}";
            }

            definitions.Add(new RuleDefinition(name, condition, RuleActions.Tag, Routes: scoped ? ["other"] : null));
            if (scoped)
            {
                continue;
            }

            if (i == 100 || (i != 101 && i % 11 != 0 && i % 7 == 0))
            {
                expectedTags.Add(name);
            }
            else if (i % 11 == 0 && i != 101)
            {
                expectedErrors.Add(name);
            }
        }

        var rules = RuleSet.Compile(definitions);
        var input = Request(("wire.conn.retransmits_out", 3L), ("url.path", "/api"));
        Assert.All(rules.All, r => Assert.Equal(RulePhase.Request, r.Condition.Phase));
        for (var request = 0; request < 2; request++)
        {
            var outcome = new RuleOutcome();
            rules.Evaluate(RulePhase.Request, input, "api", outcome);
            Assert.Equal(expectedTags, outcome.Tags);
            Assert.Equal(expectedErrors.Count, outcome.Errors);
        }

        Assert.Equal(expectedErrors, rules.All.Where(r => r.Errors > 0).Select(r => r.Name));
        Assert.All(rules.All.Where(r => r.Errors > 0), r => Assert.Equal(2, r.Errors));
        Assert.True(expectedTags.Count > 15 && expectedTags[^1].CompareTo("r128") > 0, "matches in every program");
    }

    [Fact]
    public void Reload_RunsWhatItCompiled_SoTheFirstRequestAfterCompilesNoMethod()
    {
        // A compiled expression is IL until its first call, and so is a compiled regular expression's
        // code: the reload runs them once, so the first request after it compiles no method on its thread
        // (the shared helpers were compiled by an earlier rule set, as in a gateway that has served).
        var request = Request(
            ("http.request.header.user-agent", new[] { "sqlmap/1.7" }),
            ("url.path", "/api"),
            ("http.request.method", "GET"),
            ("wire.ip.ttl", 64L),
            ("wire.tcp.mss", 1460L),
            ("wire.conn.retransmits_out", 0L),
            ("client.address", "192.0.2.1"));
        static RuleSet Compile() =>
            RuleSet.Compile(Gateway.Benchmarks.TypicalRules.Conditions.Select((c, i) => new RuleDefinition($"r{i}", c, RuleActions.Tag)));
        Compile().Evaluate(RulePhase.Request, request, null, new RuleOutcome());

        var rules = Compile();
        var outcome = new RuleOutcome();
        var before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
        rules.Evaluate(RulePhase.Request, request, null, outcome);
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before;

        Assert.Equal(["r7"], outcome.Tags);
        Assert.Equal(0, outcome.Errors);
        Assert.Equal(0, compiled);
    }

    [Fact]
    public void Evaluate_MissingAttribute_CountsAnErrorAndLetsThrough_UnlessFailClosed()
    {
        var rules = RuleSet.Compile([
            new RuleDefinition("open", "attrs[\"tls.client.ja4\"] == \"x\"", RuleActions.Deny),
            new RuleDefinition("closed", "attrs[\"tls.client.ja4\"] == \"x\"", RuleActions.Deny | RuleActions.Alert, Status: 451, FailClosed: true),
        ]);
        var outcome = new RuleOutcome();
        rules.Evaluate(RulePhase.Request, Request(), null, outcome);

        Assert.Equal(2, outcome.Errors);
        Assert.Equal(1, rules.All[0].Errors);
        Assert.Equal("closed", outcome.DeniedBy);
        Assert.Equal(451, outcome.DenyStatus);
        var alert = Assert.Single(outcome.Alerts);
        Assert.Equal("no such key: tls.client.ja4", alert.Error);
    }

    [Fact]
    public void Compile_DenyReadingWhatProxyingTells_IsRefusedWithNameAndReason()
    {
        var e = Assert.Throws<RuleCompileException>(() => RuleSet.Compile([
            new RuleDefinition("late", "attrs[\"http.response.status_code\"] == 500 || attrs[\"wire.request.retransmits_out\"] > 3", RuleActions.Deny),
        ]));

        Assert.Contains("rule \"late\"", e.Message);
        Assert.Contains("http.response.status_code, wire.request.retransmits_out", e.Message);
        Assert.Contains("only known after the request was proxied", e.Message);

        // The same condition may tag: it is evaluated when the response has ended.
        var tag = RuleSet.Compile([new RuleDefinition("late", "attrs[\"http.response.status_code\"] == 500", RuleActions.Tag)]);
        Assert.False(tag.HasRequestRules);
        Assert.True(tag.HasResponseRules);
    }

    [Theory]
    [InlineData("attrs[attrs[\"k\"]] == 1", "must be a string constant")]
    [InlineData("attrs == 1", "attrs is used as a value")]
    [InlineData("request.headers[\"x\"] == \"1\"", "unknown identifier \"request\"")]
    [InlineData("attrs[\"x\"] == b\"abc\"", "not supported")]
    [InlineData("attrs[\"x\"].matches(\"(a)\\\\1\")", "is not valid here")]
    [InlineData("attrs[\"x\"] == ", "does not parse as CEL")]
    [InlineData("timestamp(attrs[\"x\"]) > 1", "timestamp() with 1 argument(s) is not supported")]
    [InlineData("\"a\"", "the condition is the constant a")]
    public void Compile_WhatRulesDoNotSupport_IsRefusedWithTheReason(string condition, string reason)
    {
        var e = Assert.Throws<RuleCompileException>(() => CelCompiler.Compile(condition));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Evaluate_RouteScope_OnlyTheListedRoutes()
    {
        var rules = RuleSet.Compile([new RuleDefinition("admin-only", "\"url.path\" in attrs", RuleActions.Tag, Routes: ["admin"])]);
        var other = new RuleOutcome();
        rules.Evaluate(RulePhase.Request, Request(("url.path", "/")), "api", other);
        var none = new RuleOutcome();
        rules.Evaluate(RulePhase.Request, Request(("url.path", "/")), null, none);
        var admin = new RuleOutcome();
        rules.Evaluate(RulePhase.Request, Request(("url.path", "/")), "admin", admin);

        Assert.False(other.Matched);
        Assert.False(none.Matched);
        Assert.True(admin.Matched);
    }

    [Fact]
    public void Alerts_FirstAtOnce_ThenOnePerIntervalCarryingTheCount()
    {
        var time = new ManualTime();
        var rules = RuleSet.Compile([new RuleDefinition("ua", "attrs[\"http.request.header.user-agent\"].exists(v, v.contains(\"Windows\"))",
            RuleActions.Alert, AlertInterval: TimeSpan.FromSeconds(60))], time);
        var input = Request(("http.request.header.user-agent", WindowsUserAgent));
        var alerts = new List<RuleAlert>();
        for (var i = 0; i < 5; i++)
        {
            var outcome = new RuleOutcome();
            rules.Evaluate(RulePhase.Request, input, null, outcome);
            Assert.True(outcome.Matched);
            alerts.AddRange(outcome.Alerts);
        }

        var first = Assert.Single(alerts);
        Assert.Equal(1, first.Count);
        Assert.Equal(WindowsUserAgent, first.Values.Single(v => v.Key == "http.request.header.user-agent").Value);
        Assert.Empty(rules.FlushHeldBack());

        time.Advance(TimeSpan.FromSeconds(61));
        var held = Assert.Single(rules.FlushHeldBack());
        Assert.Equal(4, held.Count);
        Assert.Empty(held.Values);

        // A match after the next interval alerts at once again, for itself only.
        time.Advance(TimeSpan.FromSeconds(61));
        var later = new RuleOutcome();
        rules.Evaluate(RulePhase.Request, input, null, later);
        Assert.Equal(1, Assert.Single(later.Alerts).Count);
    }

    [Fact]
    public void AlertJson_HostileValues_StayOneValidObject_AndRedactionApplies()
    {
        var hostile = "a\"b\\c\n{\"injected\":1}\u0000\u001b[31m\u2028<script>\ud800";
        var rules = RuleSet.Compile([new RuleDefinition("hostile", "attrs[\"http.request.header.x-evil\"].exists(v, v.startsWith(\"a\")) && \"http.request.header.authorization\" in attrs", RuleActions.Alert)]);
        var outcome = new RuleOutcome();
        rules.Evaluate(RulePhase.Request, Request(("http.request.header.x-evil", new[] { hostile }), ("http.request.header.authorization", new[] { "Bearer secret-token" })),
            null, outcome, name => name == "http.request.header.authorization");
        var alert = Assert.Single(outcome.Alerts) with { TraceId = "0af7651916cd43dd8448eb211c80319c", SpanId = "b7ad6b7169203331", TraceFlags = 1 };

        var bytes = AlertJson.Encode(alert);
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.DoesNotContain('\n', text);
        Assert.DoesNotContain("secret-token", text);
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        Assert.Equal("gateway.alert", root.GetProperty("event").GetString());
        Assert.Equal("hostile", root.GetProperty("rule").GetString());
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", root.GetProperty("trace_id").GetString());
        var values = root.GetProperty("values");
        Assert.Equal(hostile[..^1] + "\ufffd", values.GetProperty("http.request.header.x-evil")[0].GetString());
        Assert.Equal("[REDACTED]", values.GetProperty("http.request.header.authorization").GetString());
        Assert.Single(root.EnumerateObject(), p => p.Name == "values");
    }

    [Fact]
    public void Evaluate_HostileAndHugeValues_NeverThrow()
    {
        var rules = RuleSet.Compile([
            new RuleDefinition("re", "attrs[\"http.request.header.x\"].exists(v, v.matches(\"(a|aa)+$\"))", RuleActions.Tag),
            new RuleDefinition("num", "int(attrs[\"http.request.header.x\"][0]) > 1", RuleActions.Tag),
        ]);
        var values = new[] { new string('a', 50_000) + "!", "\ud800\udfff\0\r\n", "99999999999999999999999" };
        foreach (var value in values)
        {
            var outcome = new RuleOutcome();
            rules.Evaluate(RulePhase.Request, Request(("http.request.header.x", new[] { value })), null, outcome);
            Assert.InRange(outcome.Errors, 0, 1);
        }
    }
}
