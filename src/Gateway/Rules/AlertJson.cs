using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Gateway.Rules;

/// <summary>
/// The webhook's JSON of one alert. Every string goes through <see cref="Utf8JsonWriter"/>,
/// which escapes quotes, control characters and everything outside ASCII; a string that is not
/// valid UTF-16 (a lone surrogate) is repaired first, so that no header value can break or
/// end the document.
/// </summary>
public static class AlertJson
{
    /// <summary>The alert as one JSON object.</summary>
    public static byte[] Encode(RuleAlert alert)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event", EventName);
            json.WriteString("time", alert.Time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("rule", Safe(alert.Rule));
            json.WriteNumber("count", alert.Count);
            if (alert.TraceId is { } traceId)
            {
                json.WriteString("trace_id", traceId);
                json.WriteString("span_id", alert.SpanId);
                json.WriteString("trace_flags", alert.TraceFlags.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }

            if (alert.DeniedStatus is { } status)
            {
                json.WriteNumber("denied_status", status);
            }

            if (alert.Error is { } error)
            {
                json.WriteString("error", Safe(error));
            }

            json.WriteStartObject("values");
            foreach (var (name, value) in alert.Values)
            {
                json.WritePropertyName(Safe(name));
                WriteValue(json, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The event name of alerts, in the log record and the webhook's JSON.</summary>
    public const string EventName = "gateway.alert";

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case long l:
                json.WriteNumberValue(l);
                break;
            case double d when double.IsFinite(d):
                json.WriteNumberValue(d);
                break;
            case string s:
                json.WriteStringValue(Safe(s));
                break;
            case System.Collections.IEnumerable list:
                json.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(json, item);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(Safe(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""));
                break;
        }
    }

    /// <summary>The string with lone surrogates replaced by U+FFFD, so that it encodes.</summary>
    internal static string Safe(string s) =>
        s.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') ? Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s)) : s;
}
