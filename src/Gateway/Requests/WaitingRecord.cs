using Gateway.Correlation;
using Gateway.Sampling;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Logging;

namespace Gateway.Requests;

/// <summary>
/// A record whose response was still leaving when the request ended: it waits in the connection
/// ledger (<see cref="ConnectionLedger.Wait"/>) for its <c>wire.request.*</c> share, and the
/// <c>wire.conn.*</c> totals read at the same point; then the rules that read them run, sampling
/// decides, and a record kept goes to the record pipeline. No task and no timer of its own: the
/// next request on the connection, its close or the ledger's one retry timer settles it.
/// </summary>
/// <remarks>
/// Sampling decides here, once, and not when the request ended: the request's retransmissions
/// (a wire anomaly) and the matches of rules reading them are known only from the settled share,
/// and each of them keeps the record whatever the ratio says.
/// </remarks>
internal sealed class WaitingRecord(
    StreamEnds ends,
    TelemetryRecord telemetry,
    AttributeList attributes,
    IWireView wireView,
    ConnectionTuple tuple,
    WireFacts? atEnd,
    RecordPipeline records,
    ILogger logger,
    SamplingPolicy sampling,
    SamplingRequest undecided,
    WaitingRecord.PendingRules? rules = null) : ShareWaiter(ends)
{
    /// <summary>
    /// The rules' step 3 when it waits for these figures (a rule on <c>wire.request.retransmits_out</c>
    /// read before they settled would never see a response that needed retransmissions: those are the
    /// responses still leaving).
    /// </summary>
    internal sealed record PendingRules(RequestRecord Record, string? RouteId, double DurationMs, Rules.AlertDispatcher Alerts);

    protected internal override WireFacts? Lookup() => wireView.Lookup(tuple);

    protected override void OnSettled(WireRequestShare share, WireFacts? at)
    {
        try
        {
            // The flow seen at the request's end stands in only when none was read since (it was being closed).
            var facts = at ?? atEnd;
            attributes.AddWireObserved(facts);
            attributes.AddWireRequest(share);
            var matched = undecided.RuleMatched;
            if (rules is { } waiting)
            {
                RequestRules.Finish(waiting.Record, attributes, facts, waiting.RouteId, waiting.DurationMs, waiting.Alerts);
                matched |= waiting.Record.Rules?.Matched == true;
            }

            var decision = sampling.Decide(undecided with
            {
                WireAnomaly = undecided.WireAnomaly || RequestMiddleware.WireLooksWrong(share, facts),
                RuleMatched = matched,
            });
            if (decision == SamplingDecision.Dropped)
            {
                telemetry.Discard();
                return;
            }

            records.Submit(telemetry);
        }
        catch (Exception e)
        {
            RequestMiddleware.LogTelemetryFailed(logger, e);
            telemetry.Discard();
        }
    }
}
