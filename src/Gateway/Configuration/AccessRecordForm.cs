namespace Gateway.Configuration;

/// <summary><c>Telemetry:AccessRecord</c>: which form of the <c>gateway.access</c> record is written (DESIGN.md, "Log records").</summary>
public enum AccessRecordForm
{
    /// <summary>Core where the request's span is exported over OTLP too; full wherever the record is the only copy. The default.</summary>
    Auto,

    /// <summary>Every attribute of the server span, everywhere.</summary>
    Full,

    /// <summary>Only what a log search needs, everywhere; the trace context points at the span.</summary>
    Core,
}
