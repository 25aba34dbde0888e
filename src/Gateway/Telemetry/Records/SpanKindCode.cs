namespace Gateway.Telemetry.Records;

/// <summary>OTLP span kinds the gateway emits (values of <c>Span.SpanKind</c>).</summary>
internal enum SpanKindCode
{
    /// <summary>The request from the client.</summary>
    Server = 2,

    /// <summary>One attempt to the backend.</summary>
    Client = 3,
}
