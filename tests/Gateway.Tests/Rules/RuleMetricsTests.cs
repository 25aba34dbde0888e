using System.Diagnostics.Metrics;
using Gateway.Rules;

namespace Gateway.Tests.Rules;

/// <summary>
/// The rules' evaluation counter, as a metrics reader collects it. It counts for the whole process,
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

    // What a metrics reader collects now: the counter's running total by phase.
    private static Dictionary<string, long> Read()
    {
        var totals = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RuleMetrics.MeterName && instrument.Name == "gateway.rules.evaluations")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "phase" && tag.Value is string phase)
                {
                    totals[phase] = value;
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
