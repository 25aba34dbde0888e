using System.Text;

namespace Gateway.HeaderCapture;

/// <summary>
/// Replaces the values of redacted query parameters with <c>[REDACTED]</c> in a query string
/// (without the leading <c>?</c>). Names are compared after percent-decoding, so
/// <c>%74oken=...</c> is caught like <c>token=...</c>; both <c>&amp;</c> and <c>;</c> separate
/// parameters, because some backends split on either and a secret must not hide behind one.
/// </summary>
internal sealed class QueryRedactor(RedactionRules rules)
{
    /// <summary>The query with redacted values replaced; the same instance when nothing was redacted.</summary>
    public string Redact(string query)
    {
        StringBuilder? result = null;
        var start = 0;
        while (start <= query.Length)
        {
            var end = query.AsSpan(start).IndexOfAny('&', ';');
            end = end < 0 ? query.Length : start + end;
            var parameter = query.AsSpan(start, end - start);
            var equals = parameter.IndexOf('=');
            if (equals >= 0 && rules.IsRedacted(DecodeName(parameter[..equals])))
            {
                result ??= new StringBuilder(query.Length).Append(query, 0, start);
                result.Append(parameter[..(equals + 1)]).Append(Telemetry.SemanticConventions.RedactedValue);
            }
            else
            {
                result?.Append(parameter);
            }

            if (end < query.Length)
            {
                result?.Append(query[end]);
            }

            start = end + 1;
        }

        return result?.ToString() ?? query;
    }

    private static ReadOnlySpan<char> DecodeName(ReadOnlySpan<char> name)
    {
        if (name.IndexOfAny('%', '+') < 0)
        {
            return name;
        }

        var text = name.ToString().Replace('+', ' ');
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return text;
        }
    }
}
