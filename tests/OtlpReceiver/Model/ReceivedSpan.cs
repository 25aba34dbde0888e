namespace OtlpReceiver;

/// <summary>A span as the receiver decoded it from one export request.</summary>
public sealed class ReceivedSpan
{
    /// <summary>The trace id as 32 lower-case hex digits (empty when the sender left it out).</summary>
    public required string TraceId { get; init; }

    /// <summary>The span id as 16 lower-case hex digits.</summary>
    public required string SpanId { get; init; }

    /// <summary>The parent span id as lower-case hex, or the empty string for a root span.</summary>
    public required string ParentSpanId { get; init; }

    /// <summary>The W3C tracestate, or the empty string.</summary>
    public required string TraceState { get; init; }

    /// <summary>The span name.</summary>
    public required string Name { get; init; }

    /// <summary>The span kind.</summary>
    public required OtlpSpanKind Kind { get; init; }

    /// <summary>Start time in nanoseconds since the Unix epoch.</summary>
    public required ulong StartTimeUnixNano { get; init; }

    /// <summary>End time in nanoseconds since the Unix epoch.</summary>
    public required ulong EndTimeUnixNano { get; init; }

    /// <summary>The span flags field: W3C trace flags in the low byte, remote-parent bits above.</summary>
    public required uint Flags { get; init; }

    /// <summary>
    /// The span attributes. Values are converted from the OTLP <c>AnyValue</c>: <see cref="string"/>,
    /// <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>, <c>byte[]</c>, <c>object?[]</c> for
    /// arrays, <c>IReadOnlyDictionary&lt;string, object?&gt;</c> for key-value lists, and null for an empty value.
    /// When a key repeats on the wire, the last value wins.
    /// </summary>
    public required IReadOnlyDictionary<string, object?> Attributes { get; init; }

    /// <summary>The span events in wire order.</summary>
    public required IReadOnlyList<ReceivedSpanEvent> Events { get; init; }

    /// <summary>The span status code.</summary>
    public required OtlpStatusCode StatusCode { get; init; }

    /// <summary>The status description, or the empty string.</summary>
    public required string StatusMessage { get; init; }

    /// <summary>Attributes of the resource that sent the span (e.g. <c>service.name</c>).</summary>
    public required IReadOnlyDictionary<string, object?> ResourceAttributes { get; init; }

    /// <summary>The instrumentation scope name (the ActivitySource name for .NET).</summary>
    public required string ScopeName { get; init; }

    /// <summary>The instrumentation scope version, or the empty string.</summary>
    public required string ScopeVersion { get; init; }

    /// <summary>How the span arrived: <see cref="OtlpTransport.Grpc"/> or <see cref="OtlpTransport.Http"/>.</summary>
    public required string Transport { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"'{Name}' {Kind} trace={TraceId} span={SpanId} parent={(ParentSpanId.Length == 0 ? "-" : ParentSpanId)} " +
        $"scope={ScopeName} via {Transport} {Describe.Attributes(Attributes, 6)}";
}
