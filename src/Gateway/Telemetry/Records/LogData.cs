namespace Gateway.Telemetry.Records;

/// <summary>
/// One log record as the exporters write it: <c>gateway.access</c>, <c>wire.connection</c> or
/// <c>wire.anomaly</c>.
/// </summary>
internal sealed class LogData
{
    /// <summary>OTLP severity number of informational records.</summary>
    public const int Info = 9;

    /// <summary>OTLP severity number of warnings.</summary>
    public const int Warn = 13;

    private readonly AttributeList _own = new(AttributeList.RecordCapacity);

    /// <summary>The event name.</summary>
    public string EventName { get; set; } = "";

    /// <summary>OTLP severity number.</summary>
    public int Severity { get; set; } = Info;

    /// <summary>Time of the record, in nanoseconds since the Unix epoch.</summary>
    public long TimeUnixNano { get; set; }

    /// <summary>The trace of the span the record belongs to; empty when none.</summary>
    public TraceId TraceId { get; set; }

    /// <summary>The span the record belongs to; 0 when none.</summary>
    public ulong SpanId { get; set; }

    /// <summary>W3C trace flags of that span.</summary>
    public byte TraceFlags { get; set; }

    /// <summary>The one-line summary.</summary>
    public string Body { get; set; } = "";

    /// <summary>
    /// The attributes: the record's own list, or, for an access record, the very list of its
    /// server span (DESIGN: the same attributes as the server span).
    /// </summary>
    public AttributeList Attributes { get; private set; }

    /// <summary>Creates an empty record.</summary>
    public LogData() => Attributes = _own;

    /// <summary>Makes the record share <paramref name="attributes"/> (those of its span).</summary>
    public void ShareAttributes(AttributeList attributes) => Attributes = attributes;

    /// <summary>The severity's name as OTLP and the JSON line write it.</summary>
    public string SeverityText => Severity >= Warn ? "Warning" : "Information";

    /// <summary>Forgets everything for the next use.</summary>
    public void Reset()
    {
        EventName = "";
        Severity = Info;
        TimeUnixNano = 0;
        TraceId = default;
        SpanId = 0;
        TraceFlags = 0;
        Body = "";
        _own.Clear();
        Attributes = _own;
    }
}
