using Gateway.Configuration;

namespace Gateway.Telemetry.Records;

/// <summary>
/// Which form of an access record one sink writes (DESIGN.md, "Log records"): the full form
/// (every attribute of its server span) or the core form (only the names marked
/// <see cref="AttributeName.IsCore"/>; the trace context points at the span).
/// </summary>
/// <remarks>
/// Decided per sink and record while the record is written, by leaving attributes out: the
/// attribute list is shared with the span and never copied. Only a record that shares its span's
/// attributes (<see cref="LogData.SharesSpanAttributes"/>, i.e. <c>gateway.access</c>) has a core
/// form; connection, anomaly and alert records are always written whole.
/// </remarks>
internal readonly record struct AccessRecordFormPolicy
{
    private readonly AccessRecordForm _form;
    private readonly bool _spansExportedAlongside;

    private AccessRecordFormPolicy(AccessRecordForm form, bool spansExportedAlongside)
    {
        _form = form;
        _spansExportedAlongside = spansExportedAlongside;
    }

    /// <summary>Every record whole (the default of a sink built without a policy).</summary>
    public static AccessRecordFormPolicy Full => new(AccessRecordForm.Full, spansExportedAlongside: false);

    /// <summary>
    /// The policy of a sink where the record is the only copy of a request (the JSON-lines file,
    /// the console, OTLP logs without OTLP traces): <see cref="AccessRecordForm.Auto"/> means full.
    /// </summary>
    public static AccessRecordFormPolicy OnlyCopy(AccessRecordForm form) => new(form, spansExportedAlongside: false);

    /// <summary>
    /// The policy of OTLP logs sent beside OTLP traces: <see cref="AccessRecordForm.Auto"/> means core
    /// for a request whose span is exported, full for one whose span was sampled out or dropped by a
    /// full trace queue (<see cref="TelemetryRecord.SpansDropped"/>).
    /// </summary>
    public static AccessRecordFormPolicy BesideSpans(AccessRecordForm form) => new(form, spansExportedAlongside: true);

    /// <summary>True when <paramref name="record"/>'s log record is written in its core form.</summary>
    public bool IsCore(TelemetryRecord record) => record.Log.SharesSpanAttributes && _form switch
    {
        AccessRecordForm.Core => true,
        AccessRecordForm.Full => false,
        // Auto: core only where the span goes out too and the record can point at it; a span the
        // trace queue had no room for takes nothing with it.
        _ => _spansExportedAlongside && record.ExportedSpanCount > 0 && !record.SpansDropped,
    };
}
