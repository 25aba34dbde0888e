using Gateway.Correlation;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Logging;

namespace Gateway.Requests;

/// <summary>
/// A record whose response was still leaving when the request ended: it waits in the connection
/// ledger (<see cref="ConnectionLedger.Wait"/>) for its <c>wire.request.*</c> share, and the
/// <c>wire.conn.*</c> totals read at the same point, then goes to the record pipeline. No task and no
/// timer of its own: the next request on the connection, its close or the ledger's one retry timer
/// settles it.
/// </summary>
internal sealed class WaitingRecord(
    StreamEnds ends,
    TelemetryRecord telemetry,
    AttributeList attributes,
    IWireView wireView,
    ConnectionTuple tuple,
    WireFacts? atEnd,
    RecordPipeline records,
    ILogger logger,
    WaitingRecord.PendingRules? rules = null) : ShareWaiter(ends)
{
    /// <summary>
    /// The rules' step 3 when it waits for these figures (a rule on <c>wire.request.retransmits_out</c>
    /// read before they settled would never see a response that needed retransmissions: those are the
    /// responses still leaving), and whether sampling kept the record without a match of theirs.
    /// </summary>
    internal sealed record PendingRules(RequestRecord Record, string? RouteId, double DurationMs, bool Sampled, Rules.AlertDispatcher Alerts);

    protected internal override WireFacts? Lookup() => wireView.Lookup(tuple);

    protected override void OnSettled(WireRequestShare share, WireFacts? at)
    {
        try
        {
            // The flow seen at the request's end stands in only when none was read since (it was being closed).
            attributes.AddWireObserved(at ?? atEnd);
            attributes.AddWireRequest(share);
            if (rules is { } waiting)
            {
                RequestRules.Finish(waiting.Record, attributes, at ?? atEnd, waiting.RouteId, waiting.DurationMs, waiting.Alerts);
                if (!waiting.Sampled && waiting.Record.Rules?.Matched != true)
                {
                    telemetry.Discard();
                    return;
                }
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
