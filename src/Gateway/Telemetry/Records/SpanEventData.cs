namespace Gateway.Telemetry.Records;

/// <summary>A span event: a kernel event that happened while the span ran.</summary>
internal sealed record SpanEventData(string Name, long TimeUnixNano, AttributeList Attributes);
