using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Telemetry.Records;

namespace Gateway.Telemetry;

/// <summary>
/// Formats one record as one line of JSON:
/// <c>{"time","event","trace_id","span_id","trace_flags","body","attributes":{...}}</c> and a newline
/// (<c>trace_flags</c>: the span's W3C flags as two hex digits, <c>"01"</c> when sampled).
/// </summary>
/// <remarks>
/// Whatever a client puts into a header or path, the line stays one valid JSON object:
/// the writer escapes every control character (CR, LF, ESC, ...) and U+2028/U+2029, and
/// replaces invalid UTF-16 (lone surrogates) with U+FFFD. The relaxed encoder is used
/// because it leaves printable non-ASCII and characters such as '+' readable; it is
/// "unsafe" only for embedding into HTML, which a log file is not. Attribute names come
/// pre-escaped (<see cref="AttributeName"/>), so a line costs no allocation.
/// </remarks>
internal static class JsonLineFormatter
{
    /// <summary>The encoder of every string and name in a line.</summary>
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The writer options of a line.</summary>
    public static readonly JsonWriterOptions Options = new()
    {
        Encoder = Encoder,
        Indented = false,
        SkipValidation = false,
    };

    private static readonly JsonEncodedText Time = JsonEncodedText.Encode("time");
    private static readonly JsonEncodedText Event = JsonEncodedText.Encode("event");
    private static readonly JsonEncodedText TraceIdName = JsonEncodedText.Encode("trace_id");
    private static readonly JsonEncodedText SpanIdName = JsonEncodedText.Encode("span_id");
    private static readonly JsonEncodedText TraceFlagsName = JsonEncodedText.Encode("trace_flags");
    private static readonly JsonEncodedText Body = JsonEncodedText.Encode("body");
    private static readonly JsonEncodedText Attributes = JsonEncodedText.Encode("attributes");

    /// <summary>Appends one record made of these parts and its newline to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, DateTime timestampUtc, string eventName, TraceId traceId, ulong spanId, string body, AttributeList attributes)
    {
        var record = new LogData
        {
            TimeUnixNano = (timestampUtc.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) * 100,
            EventName = eventName,
            TraceId = traceId,
            SpanId = spanId,
            Body = body,
        };
        record.ShareAttributes(attributes);
        Write(output, record);
    }

    /// <summary>Appends one record and its newline to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, LogData record)
    {
        using var writer = new Utf8JsonWriter(output, Options);
        Write(writer, output, record);
    }

    /// <summary>
    /// Appends one record and its newline to <paramref name="output"/>, with <paramref name="writer"/> reset onto it;
    /// <paramref name="core"/>: only the attributes the core form keeps (<see cref="AccessRecordFormPolicy"/>).
    /// </summary>
    public static void Write(Utf8JsonWriter writer, IBufferWriter<byte> output, LogData record, bool core = false)
    {
        writer.Reset(output);
        writer.WriteStartObject();
        // Always seven fraction digits, as readers of earlier files expect.
        Span<char> time = stackalloc char[28];
        UnixTime.ToDateTime(record.TimeUnixNano).TryFormat(time, out var length, "yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture);
        writer.WriteString(Time, time[..length]);
        writer.WriteString(Event, record.EventName);
        if (record.TraceId.IsEmpty)
        {
            writer.WriteNull(TraceIdName);
            writer.WriteNull(SpanIdName);
            writer.WriteNull(TraceFlagsName);
        }
        else
        {
            Span<char> hex = stackalloc char[32];
            record.TraceId.WriteHex(hex);
            writer.WriteString(TraceIdName, hex);
            SpanIds.WriteHex(record.SpanId, hex);
            writer.WriteString(SpanIdName, hex[..16]);
            record.TraceFlags.TryFormat(hex, out var written, "x2", System.Globalization.CultureInfo.InvariantCulture);
            writer.WriteString(TraceFlagsName, hex[..written]);
        }

        record.WithBody(writer, static (w, text) => w.WriteString(Body, text));
        writer.WriteStartObject(Attributes);
        WriteAttributes(writer, record.Attributes, core);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
        output.Write("\n"u8);
    }

    private static void WriteAttributes(Utf8JsonWriter writer, AttributeList attributes, bool core)
    {
        foreach (ref readonly var attribute in attributes.Items)
        {
            if (attribute.Kind == AttributeKind.Group)
            {
                WriteAttributes(writer, attribute.Group, core);
                continue;
            }

            if (core && !attribute.Name.IsCore)
            {
                continue;
            }

            writer.WritePropertyName(attribute.Name.Json);
            switch (attribute.Kind)
            {
                case AttributeKind.String:
                    writer.WriteStringValue(attribute.String);
                    break;
                case AttributeKind.Bool:
                    writer.WriteBooleanValue(attribute.Bool);
                    break;
                case AttributeKind.Int:
                    writer.WriteNumberValue(attribute.Int);
                    break;
                case AttributeKind.Double when double.IsFinite(attribute.Double):
                    writer.WriteNumberValue(attribute.Double);
                    break;
                case AttributeKind.Strings:
                    writer.WriteStartArray();
                    for (var i = 0; i < attribute.StringCount; i++)
                    {
                        writer.WriteStringValue(attribute.StringAt(i));
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    writer.WriteNullValue();
                    break;
            }
        }
    }
}
