namespace Gateway.Telemetry.Otlp;

/// <summary>
/// Parses <c>OTEL_EXPORTER_OTLP_HEADERS</c>-style lists: <c>key=value</c> pairs separated by commas,
/// whitespace around keys and values trimmed, values percent-decoded (the W3C Baggage format the
/// specification refers to).
/// </summary>
/// <remarks>
/// Values are credentials, and a malformed entry may be one too (<c>Authorization Bearer x</c>
/// without its <c>=</c>): problems say which entry, counted from 1, and never quote the text.
/// </remarks>
internal static class OtlpHeaderList
{
    // Headers the transport writes itself, or that frame the message: a configured one would corrupt the request.
    private static readonly string[] Reserved =
        ["host", "te", "connection", "upgrade", "keep-alive", "transfer-encoding", "proxy-connection"];

    /// <summary>The pairs of <paramref name="value"/> (null: none); problems are added to <paramref name="problems"/>.</summary>
    public static List<KeyValuePair<string, string>> Parse(string variable, string? value, List<string> problems)
    {
        var headers = new List<KeyValuePair<string, string>>();
        if (value is null)
        {
            return headers;
        }

        var entries = value.Split(',');
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i].AsSpan().Trim();
            if (entry.IsEmpty)
            {
                continue;
            }

            var position = i + 1;
            var equals = entry.IndexOf('=');
            if (equals < 0)
            {
                problems.Add($"{variable}: entry {position} has no '='; write key=value pairs separated by commas (the entry is not shown, it may be a secret).");
                continue;
            }

            var name = entry[..equals].Trim();
            if (!IsToken(name))
            {
                problems.Add($"{variable}: entry {position} does not start with a valid header name (letters, digits and !#$%&'*+-.^_`|~ only).");
                continue;
            }

            var key = name.ToString();
            if (IsReserved(key))
            {
                problems.Add($"{variable}: header '{key}' is set by the exporter itself and cannot be configured.");
                continue;
            }

            var decoded = Uri.UnescapeDataString(entry[(equals + 1)..].Trim().ToString()).Trim();
            if (!IsSendable(decoded))
            {
                problems.Add($"{variable}: the value of header '{key}' holds control or non-ASCII characters after percent-decoding, which cannot be sent.");
                continue;
            }

            headers.Add(new KeyValuePair<string, string>(key, decoded));
        }

        return headers;
    }

    /// <summary>
    /// <paramref name="generic"/> overridden by <paramref name="specific"/>: a name in both (compared
    /// case-insensitively, as HTTP does) keeps the specific value; within one list the last entry wins.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Merge(
        List<KeyValuePair<string, string>> generic, List<KeyValuePair<string, string>> specific)
    {
        var merged = new List<KeyValuePair<string, string>>(generic.Count + specific.Count);
        foreach (var header in generic.Concat(specific))
        {
            var existing = merged.FindIndex(h => h.Key.Equals(header.Key, StringComparison.OrdinalIgnoreCase));
            if (existing >= 0)
            {
                merged[existing] = header;
            }
            else
            {
                merged.Add(header);
            }
        }

        return merged.AsReadOnly();
    }

    private static bool IsReserved(string name) =>
        name.StartsWith("content-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || Array.Exists(Reserved, reserved => reserved.Equals(name, StringComparison.OrdinalIgnoreCase));

    // RFC 9110 token: the characters a header name may hold.
    private static bool IsToken(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && "!#$%&'*+-.^_`|~".IndexOf(c) < 0)
            {
                return false;
            }
        }

        return true;
    }

    // Visible ASCII, space and tab: what HttpClient writes without complaint (and without quoting the value in an error).
    private static bool IsSendable(string value)
    {
        foreach (var c in value)
        {
            if (c != '\t' && (c < ' ' || c > '~'))
            {
                return false;
            }
        }

        return true;
    }
}
