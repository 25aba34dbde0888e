using System.Globalization;
using System.Text;
using Gateway.Telemetry.Records;

namespace Gateway.Telemetry;

/// <summary>
/// The short human line printed per request, e.g.
/// <c>GET /api/hello -> 200 3.2ms route=demo wire ttl=64 mss=65483 in=3/78B out=2/230B</c>.
/// Every value a client controls is escaped, so no client can end the line early or
/// print a forged second line.
/// </summary>
internal static class ConsoleLineFormatter
{
    /// <summary>Formats the access record whose attributes are <paramref name="attributes"/>.</summary>
    public static string Format(IReadOnlyList<KeyValuePair<string, object?>> attributes)
    {
        var line = new StringBuilder(128);
        AppendEscaped(line, Text(attributes, SemanticConventions.HttpRequestMethod) ?? "?");
        line.Append(' ');
        AppendEscaped(line, Text(attributes, SemanticConventions.UrlPath) ?? "/");
        if (Text(attributes, SemanticConventions.UrlQuery) is { } query)
        {
            line.Append('?');
            AppendEscaped(line, query);
        }

        line.Append(" -> ").Append(Text(attributes, SemanticConventions.HttpResponseStatusCode) ?? "?");
        if (Find(attributes, SemanticConventions.GatewayRequestDurationMs) is double ms)
        {
            line.Append(' ').Append(ms.ToString("0.0", CultureInfo.InvariantCulture)).Append("ms");
        }

        if (Text(attributes, SemanticConventions.GatewayRouteId) is { } route)
        {
            line.Append(" route=");
            AppendEscaped(line, route);
        }

        if (Text(attributes, SemanticConventions.ErrorType) is { } error)
        {
            line.Append(" error=");
            AppendEscaped(line, error);
        }

        if (Find(attributes, SemanticConventions.WireObserved) is true)
        {
            line.Append(" wire");
            AppendNumber(line, "ttl", attributes, SemanticConventions.WireIpTtl);
            AppendNumber(line, "mss", attributes, SemanticConventions.WireTcpMss);
            line.Append(" in=").Append(Text(attributes, SemanticConventions.WireConnPacketsIn))
                .Append('/').Append(Text(attributes, SemanticConventions.WireConnBytesIn)).Append('B');
            line.Append(" out=").Append(Text(attributes, SemanticConventions.WireConnPacketsOut))
                .Append('/').Append(Text(attributes, SemanticConventions.WireConnBytesOut)).Append('B');
        }
        else
        {
            line.Append(" wire=off");
        }

        return line.ToString();
    }

    /// <summary>
    /// Appends <paramref name="value"/> with every character that could move the cursor,
    /// end the line or reorder text shown as an escape: C0/C1 controls and DEL as
    /// <c>\xHH</c>, line/paragraph separators, format characters (bidi overrides) and lone
    /// surrogates as <c>\u{XXXX}</c>, and the backslash itself doubled.
    /// </summary>
    public static void AppendEscaped(StringBuilder line, string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                line.Append(c).Append(value[++i]);
            }
            else if (c == '\\')
            {
                line.Append(@"\\");
            }
            else if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
            {
                line.Append(@"\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else if (char.IsSurrogate(c) || char.GetUnicodeCategory(c) is UnicodeCategory.LineSeparator
                         or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format)
            {
                line.Append(@"\u{").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append('}');
            }
            else
            {
                line.Append(c);
            }
        }
    }

    private static void AppendNumber(StringBuilder line, string label, IReadOnlyList<KeyValuePair<string, object?>> attributes, AttributeName name)
    {
        if (Text(attributes, name) is { } value)
        {
            line.Append(' ').Append(label).Append('=').Append(value);
        }
    }

    private static object? Find(IReadOnlyList<KeyValuePair<string, object?>> attributes, AttributeName name)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            if (attributes[i].Key == name.Name)
            {
                return attributes[i].Value;
            }
        }

        return null;
    }

    private static string? Text(IReadOnlyList<KeyValuePair<string, object?>> attributes, AttributeName name) =>
        Find(attributes, name) is { } value ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;
}
