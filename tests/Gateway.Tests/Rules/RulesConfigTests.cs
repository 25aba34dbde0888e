using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.Rules;
using Gateway.Tests.Support;

namespace Gateway.Tests.Rules;

/// <summary>The <c>Rules</c> and <c>Alerts</c> sections as the gateway reads them: validated at start and on reload.</summary>
public sealed class RulesConfigTests
{
    private const string Proxy = """
        "ReverseProxy": {
          "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "{**catch-all}" } } },
          "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:1/" } } } }
        }
        """;

    private static GatewayStartupException Refused(string json)
    {
        using var config = new TestConfig(json);
        return Assert.Throws<GatewayStartupException>(() => GatewayHost.Create(["--config", config.ConfigPath]));
    }

    private static string ErrorFor(GatewayStartupException e, string settingPath) =>
        Assert.Single(e.Errors, error => error.Contains($": {settingPath}: ", StringComparison.Ordinal));

    [Fact]
    public void Create_BadRules_EachRefusedWithItsNameAndReason()
    {
        var e = Refused($$"""
            {
              {{Proxy}},
              "Rules": {
                "late-deny": { "Condition": "attrs[\"http.response.status_code\"] >= 500", "Actions": [ "deny" ] },
                "no-parse": { "Condition": "attrs[\"x\"] ==", "Actions": [ "tag" ] },
                "bad-action": { "Condition": "\"x\" in attrs", "Actions": [ "block" ] },
                "no-action": { "Condition": "\"x\" in attrs" },
                "status-without-deny": { "Condition": "\"x\" in attrs", "Actions": [ "tag" ], "Status": 451 },
                "bad name!": { "Condition": "\"x\" in attrs", "Actions": [ "tag" ] }
              },
              "Alerts": { "Webhook": { "Url": "ftp://example/x", "MaxAttempts": 0 } }
            }
            """);

        Assert.Contains("rule \"late-deny\" is refused: a deny rule cannot read http.response.status_code", ErrorFor(e, "Rules:late-deny:Condition"), StringComparison.Ordinal);
        Assert.Contains("does not parse as CEL", ErrorFor(e, "Rules:no-parse:Condition"), StringComparison.Ordinal);
        Assert.Contains("\"block\" is not an action", ErrorFor(e, "Rules:bad-action:Actions"), StringComparison.Ordinal);
        Assert.Contains("the rule would do nothing", ErrorFor(e, "Rules:no-action:Actions"), StringComparison.Ordinal);
        Assert.Contains("does not deny", ErrorFor(e, "Rules:status-without-deny:Status"), StringComparison.Ordinal);
        Assert.Contains("not a usable rule name", ErrorFor(e, "Rules:bad name!"), StringComparison.Ordinal);
        Assert.Contains("not an http or https URL", ErrorFor(e, "Alerts:Webhook:Url"), StringComparison.Ordinal);
        Assert.Contains("out of range", ErrorFor(e, "Alerts:Webhook:MaxAttempts"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_RulesAsAList_IsRefusedWithTheShapeToWrite()
    {
        var e = Refused($$"""{ {{Proxy}}, "Rules": [ { "Condition": "true", "Actions": [ "tag" ] } ] }""");

        Assert.Contains("is a list, but rules are named", ErrorFor(e, "Rules"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_BadRule_RefusedAndTheOldRulesKeepServing()
    {
        await using var backend = await TestBackend.StartAsync();
        var good = """ "Rules": { "ua": { "Condition": "\"http.request.header.x-bad\" in attrs", "Actions": [ "deny" ] } }, """;
        using var config = TestConfig.ForBackend(backend.Address, sections: good);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0", "--KernelProbe:Mode=Off"]);
        await gateway.StartAsync();
        var before = gateway.Policies.Current.Rules;
        Assert.Equal("ua", Assert.Single(before.All).Name);

        config.Rewrite(TestConfig.Json(backend.Address, sections: """ "Rules": { "ua": { "Condition": "attrs[\"wire.request.bytes_in\"] > 1", "Actions": [ "deny" ] } }, """));
        var outcome = gateway.ConfigFile.ReloadNow();

        Assert.False(outcome.Applied);
        Assert.Contains(outcome.Errors, e => e.Contains("Rules:ua:Condition: rule \"ua\" is refused: a deny rule cannot read wire.request.bytes_in", StringComparison.Ordinal));
        Assert.Same(before, gateway.Policies.Current.Rules);

        config.Rewrite(TestConfig.Json(backend.Address, sections: """ "Rules": { "ua2": { "Condition": "\"http.request.header.x-other\" in attrs", "Actions": [ "tag" ] } }, """));
        Assert.True(gateway.ConfigFile.ReloadNow().Applied);
        Assert.Equal("ua2", Assert.Single(gateway.Policies.Current.Rules.All).Name);
    }

    [Fact]
    public void AlwaysKeep_EntriesAreRulesOfTheSameSet_KeepingWithoutOtherActions()
    {
        var rules = PolicySnapshotSource.BuildRules(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), new SamplingSettings
        {
            AlwaysKeep = [new SamplingRule { PathPrefix = "/Admin\"x", Method = "post" }, new SamplingRule { MinStatus = 400, RouteId = "r1" }],
        });

        Assert.Equal(["Sampling:AlwaysKeep:0", "Sampling:AlwaysKeep:1"], rules.All.Select(r => r.Name));
        Assert.All(rules.All, r => Assert.Equal(RuleActions.None, r.Definition.Actions));
        Assert.Equal(RulePhase.Request, rules.All[0].Condition.Phase);
        Assert.Equal(RulePhase.Response, rules.All[1].Condition.Phase);

        var admin = new RuleOutcome();
        rules.Evaluate(RulePhase.Request, new TestAttributes(new() { ["url.path"] = "/admin\"x/users", ["http.request.method"] = "POST" }), "r1", admin);
        Assert.True(admin.Matched);
        Assert.Empty(admin.Tags);
        var get = new RuleOutcome();
        rules.Evaluate(RulePhase.Request, new TestAttributes(new() { ["url.path"] = "/admin\"x/users", ["http.request.method"] = "GET" }), "r1", get);
        Assert.False(get.Matched);
        var status = new RuleOutcome();
        rules.Evaluate(RulePhase.Response, new TestAttributes(new() { ["http.response.status_code"] = 404L, ["gateway.route.id"] = "r1" }), "r1", status);
        Assert.True(status.Matched);
    }
}
