namespace OtlpReceiver;

/// <summary>A log record as the receiver decoded it from one export request.</summary>
public sealed class ReceivedLog
{
    /// <summary>The trace id as lower-case hex, or the empty string when the record has none.</summary>
    public required string TraceId { get; init; }

    /// <summary>The span id as lower-case hex, or the empty string when the record has none.</summary>
    public required string SpanId { get; init; }

    /// <summary>The OTLP <c>event_name</c> field (LogRecord field 12), or the empty string.</summary>
    public required string EventName { get; init; }

    /// <summary>The body converted like an attribute value: a <see cref="string"/> for a string body, null when absent.</summary>
    public required object? Body { get; init; }

    /// <summary>The OTLP severity number (1-24; 9 is INFO, 13 WARN, 17 ERROR), 0 when unspecified.</summary>
    public required int SeverityNumber { get; init; }

    /// <summary>The severity text as the sender wrote it, or the empty string.</summary>
    public required string SeverityText { get; init; }

    /// <summary>When the event happened, in nanoseconds since the Unix epoch (0 when unknown).</summary>
    public required ulong TimeUnixNano { get; init; }

    /// <summary>When the sender observed the record, in nanoseconds since the Unix epoch.</summary>
    public required ulong ObservedTimeUnixNano { get; init; }

    /// <summary>The record flags field: W3C trace flags in the low byte.</summary>
    public required uint Flags { get; init; }

    /// <summary>The record attributes, converted as described on <see cref="ReceivedSpan.Attributes"/>.</summary>
    public required IReadOnlyDictionary<string, object?> Attributes { get; init; }

    /// <summary>Attributes of the resource that sent the record.</summary>
    public required IReadOnlyDictionary<string, object?> ResourceAttributes { get; init; }

    /// <summary>The instrumentation scope name (the logger category for .NET).</summary>
    public required string ScopeName { get; init; }

    /// <summary>How the record arrived: <see cref="OtlpTransport.Grpc"/> or <see cref="OtlpTransport.Http"/>.</summary>
    public required string Transport { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"event={(EventName.Length == 0 ? "-" : EventName)} severity={SeverityNumber}/{SeverityText} " +
        $"body={Describe.Value(Body)} trace={(TraceId.Length == 0 ? "-" : TraceId)} span={(SpanId.Length == 0 ? "-" : SpanId)} " +
        $"scope={ScopeName} via {Transport} {Describe.Attributes(Attributes, 6)}";
}
