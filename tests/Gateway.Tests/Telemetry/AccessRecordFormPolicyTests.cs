using Gateway.Configuration;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;

namespace Gateway.Tests.Telemetry;

/// <summary>Which form of the access record each sink writes (DESIGN.md, "Log records").</summary>
public sealed class AccessRecordFormPolicyTests
{
    [Theory]
    // Auto: core only beside exported spans; full where the record is the only copy or the span was sampled out.
    [InlineData(AccessRecordForm.Auto, true, true, true)]
    [InlineData(AccessRecordForm.Auto, true, false, false)]
    [InlineData(AccessRecordForm.Auto, false, true, false)]
    [InlineData(AccessRecordForm.Auto, false, false, false)]
    // Forced: the same form whatever else is exported.
    [InlineData(AccessRecordForm.Core, true, true, true)]
    [InlineData(AccessRecordForm.Core, true, false, true)]
    [InlineData(AccessRecordForm.Core, false, true, true)]
    [InlineData(AccessRecordForm.Core, false, false, true)]
    [InlineData(AccessRecordForm.Full, true, true, false)]
    [InlineData(AccessRecordForm.Full, true, false, false)]
    [InlineData(AccessRecordForm.Full, false, true, false)]
    [InlineData(AccessRecordForm.Full, false, false, false)]
    public void IsCore_AccessRecord_FollowsTheFormAndWhereTheSpanGoes(AccessRecordForm form, bool besideSpans, bool spanExported, bool core)
    {
        var record = AccessRecord(spanExported);
        var policy = besideSpans ? AccessRecordFormPolicy.BesideSpans(form) : AccessRecordFormPolicy.OnlyCopy(form);

        Assert.Equal(core, policy.IsCore(record));
    }

    [Theory]
    [InlineData(AccessRecordForm.Auto)]
    [InlineData(AccessRecordForm.Core)]
    public void IsCore_RecordWithItsOwnAttributes_IsAlwaysWhole(AccessRecordForm form)
    {
        // A connection, anomaly or alert record: no span carries its attributes.
        var record = AccessRecord(spanExported: true);
        record.Log.Reset();
        record.Log.EventName = SemanticConventions.ConnectionEvent;
        record.Log.Attributes.Add(SemanticConventions.WireObserved, true);

        Assert.False(AccessRecordFormPolicy.BesideSpans(form).IsCore(record));
        Assert.False(AccessRecordFormPolicy.Full.IsCore(AccessRecord(spanExported: true)));
    }

    [Fact]
    public void CoreNames_AreExactlyTheDesignsList()
    {
        var core = typeof(SemanticConventions).GetFields()
            .Select(f => f.GetValue(null)).OfType<AttributeName>().Where(n => n.IsCore).Select(n => n.Name).Order();

        Assert.Equal(AccessRecordFormHostTests.CoreNames.Order(), core);
        Assert.False(SemanticConventions.WireIpTtl.IsCore);
        Assert.False(AttributeName.Of("http.request.header.x-test").IsCore);
    }

    private static TelemetryRecord AccessRecord(bool spanExported)
    {
        var record = new TelemetryRecord();
        var span = record.AddSpan();
        span.Attributes.Add(SemanticConventions.HttpRequestMethod, "GET");
        record.ExportSpans = spanExported;
        record.HasLog = true;
        record.Log.EventName = SemanticConventions.AccessEvent;
        record.Log.ShareAttributes(span.Attributes);
        return record;
    }
}
