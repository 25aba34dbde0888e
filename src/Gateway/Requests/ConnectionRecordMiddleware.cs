using System.Globalization;
using System.Net;
using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Gateway.Requests;

/// <summary>
/// Kestrel connection middleware: when a downstream connection ends, writes its
/// <c>wire.connection</c> record with the final facts from the wire view.
/// </summary>
internal sealed partial class ConnectionRecordMiddleware(IWireView wireView, ConnectionLedger ledger, PolicySnapshotSource policies, RecordPipeline records, ILogger<ConnectionRecordMiddleware> logger)
{
    /// <summary>Wraps Kestrel's connection pipeline.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        try
        {
            await next(connection);
        }
        finally
        {
            try
            {
                Record(connection);
            }
            catch (Exception e)
            {
                Log.TelemetryFailed(logger, e);
            }
        }
    };

    private void Record(ConnectionContext connection)
    {
        if (connection.LocalEndPoint is not IPEndPoint local || connection.RemoteEndPoint is not IPEndPoint remote)
        {
            return;
        }

        var tuple = new ConnectionTuple(local.Address, local.Port, remote.Address, remote.Port);
        var facts = wireView.Complete(tuple);
        // The final facts also settle a request whose response was still leaving (curl closes right after it).
        var requests = ledger.Forget(tuple, facts);
        var privacy = policies.Current.Anonymizer;
        var record = records.Rent();
        var attributes = record.Log.Attributes;
        attributes.AddConnection(tuple, privacy);
        attributes.Add(SemanticConventions.GatewayConnectionRequests, (long)requests);
        attributes.AddWire(facts);
        if (facts is { } closed)
        {
            attributes.Add(SemanticConventions.WireConnDurationMs, Math.Round(closed.DurationMs, 3));
            attributes.AddIfPresent(SemanticConventions.WireConnClosedBy, closed.ClosedBy);
        }

        // The body names the peer too: through the same privacy setting as the attributes.
        var shown = privacy.IsActive
            ? $"{new IPEndPoint(tuple.LocalAddress, tuple.LocalPort)} <- {privacy.Apply(tuple.PeerAddress)}:{tuple.PeerPort}"
            : tuple.ToString();
        var body = facts is not { } wire
            ? $"connection {shown} closed, wire not observed"
            : string.Create(CultureInfo.InvariantCulture,
                $"connection {shown} closed by {wire.ClosedBy ?? "nobody yet"} after {requests} request(s), in={wire.PacketsIn}/{wire.BytesIn}B out={wire.PacketsOut}/{wire.BytesOut}B retransmits={wire.RetransmitsOut}");
        record.HasLog = true;
        record.Log.EventName = SemanticConventions.ConnectionEvent;
        record.Log.TimeUnixNano = UnixTime.NowNanos();
        record.Log.Body = body;
        records.Submit(record);
    }
}
