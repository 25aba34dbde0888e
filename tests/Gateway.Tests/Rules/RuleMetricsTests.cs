using System.Diagnostics.Metrics;
using Gateway.Rules;

namespace Gateway.Tests.Rules;

/// <summary>
/// The rules' counters, as a metrics reader collects them. It counts for the whole process,
/// so this class runs alone: no other test evaluates rules between its two readings.
/// </summary>
[Collection(RuleCountersCollection.Name)]
public sealed class RuleMetricsTests
{
    [Fact]
    public void Evaluations_AreCountedByPhase_OnlyForRulesInScope()
    {
        var rules = RuleSet.Compile([
            new RuleDefinition("agent", "\"http.request.header.user-agent\" in attrs", RuleActions.Tag),
            new RuleDefinition("path", "attrs[\"url.path\"].startsWith(\"/admin\")", RuleActions.Tag),
            new RuleDefinition("admin-only", "\"url.path\" in attrs", RuleActions.Tag, Routes: ["admin"]),
            new RuleDefinition("errors", "attrs[\"http.response.status_code\"] >= 500", RuleActions.Tag),
        ]);
        var input = new TestAttributes(new Dictionary<string, object?>
        {
            ["url.path"] = "/admin/users",
            ["http.response.status_code"] = 503L,
        });
        var before = Read();

        rules.Evaluate(RulePhase.Request, input, "api", new RuleOutcome());
        rules.Evaluate(RulePhase.Request, input, "admin", new RuleOutcome());
        rules.Evaluate(RulePhase.Response, input, "api", new RuleOutcome());

        var after = Read();
        // Two request rules at the first request, three at the second (its route brings the scoped one); one at the response.
        Assert.Equal(5, after.GetValueOrDefault("request") - before.GetValueOrDefault("request"));
        Assert.Equal(1, after.GetValueOrDefault("response") - before.GetValueOrDefault("response"));
        Assert.Equal(before.GetValueOrDefault("connection"), after.GetValueOrDefault("connection"));
        Assert.Empty(after.Keys.Except(["connection", "request", "response"]));
    }

    [Fact]
    public void MatchesAndErrors_AreCountedByRule_AndGoOnAcrossAReloadThatKeepsTheName()
    {
        var name = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var failing = name + "-failing";
        RuleDefinition[] definitions = [
            new(name, "attrs[\"url.path\"].startsWith(\"/admin\")", RuleActions.Tag),
            new(failing, "attrs[\"tls.client.ja4\"] == \"x\"", RuleActions.Tag),
        ];
        var admin = new TestAttributes(new Dictionary<string, object?> { ["url.path"] = "/admin/users" });
        var other = new TestAttributes(new Dictionary<string, object?> { ["url.path"] = "/api" });

        var rules = RuleSet.Compile(definitions);
        rules.Evaluate(RulePhase.Request, admin, null, new RuleOutcome());
        rules.Evaluate(RulePhase.Request, other, null, new RuleOutcome());
        rules.Evaluate(RulePhase.Request, admin, null, new RuleOutcome());
        Assert.Equal(2, Read("gateway.rules.matched", "rule").GetValueOrDefault(name));
        Assert.Equal(3, Read("gateway.rules.errors", "rule").GetValueOrDefault(failing));

        // A reload compiles the rules anew; the totals by name go on.
        var reloaded = RuleSet.Compile(definitions);
        reloaded.Evaluate(RulePhase.Request, admin, null, new RuleOutcome());
        Assert.Equal(3, Read("gateway.rules.matched", "rule").GetValueOrDefault(name));
        Assert.Equal(4, Read("gateway.rules.errors", "rule").GetValueOrDefault(failing));
        // A rule that has matched nothing shows no point, as before.
        Assert.False(Read("gateway.rules.matched", "rule").ContainsKey(failing));
    }

    // What a metrics reader collects now: the counter's running total by phase.
    private static Dictionary<string, long> Read() => Read("gateway.rules.evaluations", "phase");

    // What a metrics reader collects now: INSTRUMENT's running totals by the tag KEY.
    private static Dictionary<string, long> Read(string instrumentName, string key)
    {
        var totals = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RuleMetrics.MeterName && instrument.Name == instrumentName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == key && tag.Value is string name)
                {
                    totals[name] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return totals;
    }
}

/// <summary>Runs alone: its tests read counters that every rule evaluation in the process adds to.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RuleCountersCollection
{
    public const string Name = "process-wide rule counters";
}
