using System.Buffers;
using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Telemetry;

/// <summary>
/// Formats one record as one line of JSON:
/// <c>{"time","event","trace_id","span_id","body","attributes":{...}}</c> and a newline.
/// </summary>
/// <remarks>
/// Whatever a client puts into a header or path, the line stays one valid JSON object:
/// the writer escapes every control character (CR, LF, ESC, ...) and U+2028/U+2029, and
/// replaces invalid UTF-16 (lone surrogates) with U+FFFD. The relaxed encoder is used
/// because it leaves printable non-ASCII and characters such as '+' readable; it is
/// "unsafe" only for embedding into HTML, which a log file is not.
/// </remarks>
internal static class JsonLineFormatter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = false,
    };

    /// <summary>Appends one record and its terminating newline to <paramref name="output"/>.</summary>
    public static void Write(
        IBufferWriter<byte> output,
        DateTime timestampUtc,
        string? eventName,
        ActivityTraceId traceId,
        ActivitySpanId spanId,
        string? body,
        IEnumerable<KeyValuePair<string, object?>>? attributes)
    {
        using (var writer = new Utf8JsonWriter(output, Options))
        {
            writer.WriteStartObject();
            writer.WriteString("time", timestampUtc.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));
            writer.WriteString("event", eventName);
            WriteId(writer, "trace_id", traceId == default ? null : traceId.ToHexString());
            WriteId(writer, "span_id", spanId == default ? null : spanId.ToHexString());
            writer.WriteString("body", body);
            writer.WriteStartObject("attributes");
            foreach (var (key, value) in attributes ?? [])
            {
                if (key == "{OriginalFormat}")
                {
                    continue;
                }

                writer.WritePropertyName(key);
                WriteValue(writer, value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    private static void WriteId(Utf8JsonWriter writer, string name, string? hex)
    {
        if (hex is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, hex);
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case long or int or short or sbyte or byte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong u:
                writer.WriteNumberValue(u);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumberValue(d);
                break;
            case float f when float.IsFinite(f):
                writer.WriteNumberValue(f);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case IEnumerable sequence:
                writer.WriteStartArray();
                foreach (var item in sequence)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
