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

    private string _body = "";
    private AccessSummary? _summary;

    /// <summary>The one-line summary (an access record's is formatted on each read: sinks may read it at once).</summary>
    public string Body
    {
        get => _summary is { } summary ? summary.ToString() : _body;

        set
        {
            _body = value;
            _summary = null;
        }
    }

    /// <summary>
    /// Sets an access record's summary from its parts: the writers format it straight into their
    /// output, so the request thread allocates no string for it.
    /// </summary>
    public void SetAccessSummary(string method, string path, string? query, int status, double milliseconds) =>
        _summary = new AccessSummary(method, path, query, status, milliseconds);

    /// <summary>
    /// Runs <paramref name="write"/> with the body as characters (formatted into a buffer for an
    /// access record, else the string's own).
    /// </summary>
    public void WithBody<TState>(TState state, BodyWriter<TState> write)
        where TState : allows ref struct
    {
        if (_summary is not { } summary)
        {
            write(state, _body);
            return;
        }

        var length = summary.MaxLength;
        char[]? rented = null;
        Span<char> buffer = length <= 512 ? stackalloc char[512] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(length));
        try
        {
            write(state, buffer[..summary.Format(buffer)]);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Receives the body's characters.</summary>
    public delegate void BodyWriter<TState>(TState state, ReadOnlySpan<char> body)
        where TState : allows ref struct;

    private readonly record struct AccessSummary(string Method, string Path, string? Query, int Status, double Milliseconds)
    {
        // Method, path, '?', query, status (at most 11 chars), duration and the separators.
        public int MaxLength => Method.Length + Path.Length + (Query?.Length ?? 0) + 64;

        public int Format(Span<char> destination)
        {
            var written = 0;
            Append(destination, ref written, Method);
            destination[written++] = ' ';
            Append(destination, ref written, Path);
            if (Query is not null)
            {
                destination[written++] = '?';
                Append(destination, ref written, Query);
            }

            destination[written++] = ' ';
            Status.TryFormat(destination[written..], out var n, default, System.Globalization.CultureInfo.InvariantCulture);
            written += n;
            destination[written++] = ' ';
            written += FormatTenths(destination[written..], Milliseconds);
            destination[written++] = 'm';
            destination[written++] = 's';
            return written;
        }

        public override string ToString()
        {
            Span<char> buffer = MaxLength <= 512 ? stackalloc char[512] : new char[MaxLength];
            return new string(buffer[..Format(buffer)]);
        }

        // The duration with one decimal ("0.0"): from the rounded number of tenths, which costs a
        // fraction of a custom numeric format; the format itself for what is not a plain duration.
        private static int FormatTenths(Span<char> destination, double milliseconds)
        {
            if (!(milliseconds >= 0 && milliseconds < 1e12))
            {
                milliseconds.TryFormat(destination, out var n, "0.0", System.Globalization.CultureInfo.InvariantCulture);
                return n;
            }

            var tenths = (long)Math.Round(milliseconds * 10, MidpointRounding.AwayFromZero);
            (tenths / 10).TryFormat(destination, out var whole, default, System.Globalization.CultureInfo.InvariantCulture);
            destination[whole] = '.';
            destination[whole + 1] = (char)('0' + (tenths % 10));
            return whole + 2;
        }

        private static void Append(Span<char> destination, ref int written, string text)
        {
            text.CopyTo(destination[written..]);
            written += text.Length;
        }
    }

    /// <summary>
    /// The attributes: the record's own list, or, for an access record, the very list of its
    /// server span (DESIGN: the same attributes as the server span).
    /// </summary>
    public AttributeList Attributes { get; private set; }

    /// <summary>Creates an empty record.</summary>
    public LogData() => Attributes = _own;

    /// <summary>Makes the record share <paramref name="attributes"/> (those of its span).</summary>
    public void ShareAttributes(AttributeList attributes) => Attributes = attributes;

    /// <summary>True when the record shares its span's attributes (an access record): it then has a core form.</summary>
    public bool SharesSpanAttributes => !ReferenceEquals(Attributes, _own);

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
        _body = "";
        _summary = null;
        _own.Clear();
        Attributes = _own;
    }
}
