using System.Globalization;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Http;

namespace Gateway.Telemetry;

/// <summary>
/// W3C Trace Context (https://www.w3.org/TR/trace-context/): continues the caller's trace
/// from <c>traceparent</c>/<c>tracestate</c>, and writes the <c>traceparent</c> that names
/// the gateway's client span on the upstream request.
/// </summary>
internal static class TraceContext
{
    /// <summary>The <c>sampled</c> trace flag.</summary>
    public const byte Sampled = 0x01;

    /// <summary>The header carrying the parent.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The header carrying vendor state.</summary>
    public const string TraceStateHeader = "tracestate";

    // A tracestate longer than this is dropped rather than passed on (the spec allows 32 members of up to 256 bytes; 512 is the usual cut).
    private const int MaxTraceState = 512;

    /// <summary>
    /// Sets the trace id, parent id, flags and state of <paramref name="span"/> from the request's
    /// headers; false (span untouched) when there is no valid <c>traceparent</c>.
    /// </summary>
    public static bool TryContinue(IHeaderDictionary headers, SpanData span)
    {
        var values = headers[TraceParentHeader];
        if (values.Count != 1 || !TryParse(values[0], out var traceId, out var parent, out var flags))
        {
            return false;
        }

        span.TraceId = traceId;
        span.ParentSpanId = parent;
        span.ParentIsRemote = true;
        span.TraceFlags = flags;
        var state = headers[TraceStateHeader];
        span.TraceState = state.Count == 1 && state[0] is { Length: > 0 and <= MaxTraceState } s ? s : null;
        return true;
    }

    /// <summary>
    /// Parses a <c>traceparent</c> value: version 00 exactly, or a later version's first four
    /// fields (forward compatibility); the all-zero ids and version ff are invalid.
    /// </summary>
    public static bool TryParse(string? value, out TraceId traceId, out ulong parent, out byte flags)
    {
        traceId = default;
        parent = 0;
        flags = 0;
        if (value is null || value.Length < 55)
        {
            return false;
        }

        var text = value.AsSpan();
        if (!IsLowerHex(text[..2]) || text[..2] is "ff" || text[2] != '-' || text[35] != '-' || text[52] != '-'
            || !IsLowerHex(text.Slice(3, 32)) || !IsLowerHex(text.Slice(36, 16)) || !IsLowerHex(text.Slice(53, 2)))
        {
            return false;
        }

        // Version 00 has exactly four fields; a later version may append more after a dash.
        if (text[..2] is "00" ? text.Length != 55 : text.Length > 55 && text[55] != '-')
        {
            return false;
        }

        if (!TraceId.TryParse(text.Slice(3, 32), out traceId) || traceId.IsEmpty
            || !SpanIds.TryParseHex(text.Slice(36, 16), out parent) || parent == 0)
        {
            return false;
        }

        flags = byte.Parse(text.Slice(53, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>The <c>traceparent</c> value naming <paramref name="span"/>.</summary>
    public static string Format(SpanData span) => string.Create(55, span, static (chars, s) =>
    {
        "00-".CopyTo(chars);
        s.TraceId.WriteHex(chars[3..]);
        chars[35] = '-';
        SpanIds.WriteHex(s.SpanId, chars[36..]);
        chars[52] = '-';
        chars[53] = "0123456789abcdef"[s.TraceFlags >> 4];
        chars[54] = "0123456789abcdef"[s.TraceFlags & 0xF];
    });

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
