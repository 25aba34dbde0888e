using System.Globalization;
using Gateway.Rules;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;

namespace Gateway.Requests;

/// <summary>
/// Writes each alert as a <c>gateway.alert</c> log record (WARN) through the record pipeline,
/// so it goes wherever logs go (OTLP, JSON lines, console). Its attributes: the rule, the
/// matches it stands for, and the values the condition read under their own names (redacted
/// as the access record redacts them); its trace context is the matching request's.
/// </summary>
internal sealed class AlertRecordSink(RecordPipeline records) : IAlertSink
{
    /// <inheritdoc />
    public void Emit(RuleAlert alert)
    {
        var record = records.Rent();
        var log = record.Log;
        var attributes = log.Attributes;
        attributes.Add(SemanticConventions.GatewayAlertRule, alert.Rule);
        attributes.Add(SemanticConventions.GatewayAlertCount, alert.Count);
        if (alert.DeniedStatus is { } status)
        {
            attributes.Add(SemanticConventions.GatewayAlertDeniedStatus, (long)status);
        }

        attributes.AddIfPresent(SemanticConventions.GatewayAlertError, alert.Error);
        foreach (var (name, value) in alert.Values)
        {
            attributes.Add(name, value);
        }

        if (alert.TraceId is { } traceId && TraceId.TryParse(traceId, out var id) && alert.SpanId is { } spanId && SpanIds.TryParseHex(spanId, out var span))
        {
            log.TraceId = id;
            log.SpanId = span;
            log.TraceFlags = alert.TraceFlags;
        }

        record.HasLog = true;
        log.EventName = SemanticConventions.AlertEvent;
        log.Severity = LogData.Warn;
        log.TimeUnixNano = (alert.Time.UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
        log.Body = alert.Count == 1
            ? $"rule {alert.Rule} matched"
            : string.Create(CultureInfo.InvariantCulture, $"rule {alert.Rule} matched {alert.Count} times");
        records.Submit(record);
    }
}
