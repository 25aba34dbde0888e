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
/// <remarks>
/// One pass over the attributes (groups included) picks out the dozen it shows; the line is
/// then written from those. (It looked each one up by position through the list's flattening
/// indexer before: quadratic in the record's ~60 attributes, a few microseconds per line.)
/// </remarks>
internal static class ConsoleLineFormatter
{
    /// <summary>Formats the access record whose attributes are <paramref name="attributes"/>.</summary>
    public static string Format(AttributeList attributes, bool core = false)
    {
        var line = new StringBuilder(128);
        Append(line, attributes, core);
        return line.ToString();
    }

    /// <summary>
    /// Appends the line (without its newline) of the access record whose attributes are
    /// <paramref name="attributes"/>; <paramref name="core"/>: only from the attributes the core form
    /// keeps, so the wire details are left out.
    /// </summary>
    public static void Append(StringBuilder line, AttributeList attributes, bool core = false)
    {
        var shown = default(Shown);
        shown.Collect(attributes, core);

        AppendEscaped(line, shown.Method ?? "?");
        line.Append(' ');
        AppendEscaped(line, shown.Path ?? "/");
        if (shown.Query is { } query)
        {
            line.Append('?');
            AppendEscaped(line, query);
        }

        line.Append(" -> ");
        if (shown.Status is { } status)
        {
            line.Append(status);
        }
        else
        {
            line.Append('?');
        }

        if (shown.Milliseconds is { } ms)
        {
            line.Append(' ').Append(ms.ToString("0.0", CultureInfo.InvariantCulture)).Append("ms");
        }

        if (shown.Route is { } route)
        {
            line.Append(" route=");
            AppendEscaped(line, route);
        }

        if (shown.Error is { } error)
        {
            line.Append(" error=");
            AppendEscaped(line, error);
        }

        if (shown.Observed == true)
        {
            line.Append(" wire");
            AppendNumber(line, " ttl=", shown.Ttl);
            AppendNumber(line, " mss=", shown.Mss);
            AppendCounters(line, " in=", shown.PacketsIn, shown.BytesIn);
            AppendCounters(line, " out=", shown.PacketsOut, shown.BytesOut);
        }
        else
        {
            line.Append(" wire=off");
        }
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
            if (c is >= ' ' and < '\x7F' and not '\\')
            {
                // Printable ASCII, nearly every character of a line.
                line.Append(c);
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
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

    private static void AppendNumber(StringBuilder line, string label, long? value)
    {
        if (value is { } v)
        {
            line.Append(label).Append(v);
        }
    }

    private static void AppendCounters(StringBuilder line, string label, long? packets, long? bytes)
    {
        if (packets is { } p && bytes is { } b)
        {
            line.Append(label).Append(p).Append('/').Append(b).Append('B');
        }
    }

    /// <summary>The values the line shows, picked out of the record in one pass.</summary>
    private struct Shown
    {
        public string? Method;
        public string? Path;
        public string? Query;
        public string? Route;
        public string? Error;
        public long? Status;
        public double? Milliseconds;
        public bool? Observed;
        public long? Ttl;
        public long? Mss;
        public long? PacketsIn;
        public long? BytesIn;
        public long? PacketsOut;
        public long? BytesOut;

        public void Collect(AttributeList attributes, bool core)
        {
            foreach (ref readonly var attribute in attributes.Items)
            {
                if (attribute.Kind == AttributeKind.Group)
                {
                    Collect(attribute.Group, core);
                }
                else if (!core || attribute.Name.IsCore)
                {
                    Take(attribute);
                }
            }
        }

        // The first attribute of each name counts, as a lookup by name would find it.
        private void Take(in Attribute attribute)
        {
            var name = attribute.Name;
            if (Is(name, SemanticConventions.HttpRequestMethod))
            {
                Method ??= Text(attribute);
            }
            else if (Is(name, SemanticConventions.UrlPath))
            {
                Path ??= Text(attribute);
            }
            else if (Is(name, SemanticConventions.UrlQuery))
            {
                Query ??= Text(attribute);
            }
            else if (Is(name, SemanticConventions.HttpResponseStatusCode))
            {
                Status ??= Number(attribute);
            }
            else if (Is(name, SemanticConventions.GatewayRequestDurationMs))
            {
                Milliseconds ??= attribute.Kind == AttributeKind.Double ? attribute.Double : attribute.Kind == AttributeKind.Int ? attribute.Int : null;
            }
            else if (Is(name, SemanticConventions.GatewayRouteId))
            {
                Route ??= Text(attribute);
            }
            else if (Is(name, SemanticConventions.ErrorType))
            {
                Error ??= Text(attribute);
            }
            else if (Is(name, SemanticConventions.WireObserved))
            {
                Observed ??= attribute.Kind == AttributeKind.Bool && attribute.Bool;
            }
            else if (Is(name, SemanticConventions.WireIpTtl))
            {
                Ttl ??= Number(attribute);
            }
            else if (Is(name, SemanticConventions.WireTcpMss))
            {
                Mss ??= Number(attribute);
            }
            else if (Is(name, SemanticConventions.WireConnPacketsIn))
            {
                PacketsIn ??= Number(attribute);
            }
            else if (Is(name, SemanticConventions.WireConnBytesIn))
            {
                BytesIn ??= Number(attribute);
            }
            else if (Is(name, SemanticConventions.WireConnPacketsOut))
            {
                PacketsOut ??= Number(attribute);
            }
            else if (Is(name, SemanticConventions.WireConnBytesOut))
            {
                BytesOut ??= Number(attribute);
            }
        }

        // Names are cached instances, so nearly always the same object; the string decides otherwise.
        private static bool Is(AttributeName name, AttributeName known) =>
            ReferenceEquals(name, known) || string.Equals(name.Name, known.Name, StringComparison.Ordinal);

        private static string? Text(in Attribute attribute) => attribute.Kind switch
        {
            AttributeKind.String => attribute.String,
            AttributeKind.Strings when attribute.StringCount > 0 => attribute.StringAt(0),
            AttributeKind.Int => attribute.Int.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };

        private static long? Number(in Attribute attribute) => attribute.Kind == AttributeKind.Int ? attribute.Int : null;
    }
}
