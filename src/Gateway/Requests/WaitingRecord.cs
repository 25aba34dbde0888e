using Gateway.Correlation;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Logging;

namespace Gateway.Requests;

/// <summary>
/// A kept record whose response was still leaving when the request ended: it waits in the connection
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
    ILogger logger) : ShareWaiter(ends)
{
    protected internal override WireFacts? Lookup() => wireView.Lookup(tuple);

    protected override void OnSettled(WireRequestShare share, WireFacts? at)
    {
        try
        {
            // The flow seen at the request's end stands in only when none was read since (it was being closed).
            attributes.AddWireObserved(at ?? atEnd);
            attributes.AddWireRequest(share);
            records.Submit(telemetry);
        }
        catch (Exception e)
        {
            RequestMiddleware.LogTelemetryFailed(logger, e);
            telemetry.Discard();
        }
    }
}
