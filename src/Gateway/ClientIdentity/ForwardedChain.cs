using System.Net;
using Microsoft.Extensions.Primitives;

namespace Gateway.ClientIdentity;

/// <summary>
/// The hops a request claims to have passed, read from <c>Forwarded</c> (RFC 7239, its <c>for=</c>
/// parameters) or, when that is absent, <c>X-Forwarded-For</c>; farthest first, as the headers
/// list them. An entry that is not an address (<c>unknown</c>, an obfuscated <c>_name</c>,
/// garbage) is kept as null so that the walk from the right can stop there.
/// </summary>
internal static class ForwardedChain
{
    /// <summary>Most entries read; a longer chain is cut at the far end (the near end is what is checked).</summary>
    public const int MaxEntries = 64;

    /// <summary>One claimed hop: its address, and its port when the header gave one.</summary>
    public readonly record struct Hop(IPAddress? Address, int? Port);

    /// <summary>Parses the chain; empty when neither header is present.</summary>
    public static List<Hop> Parse(StringValues forwarded, StringValues xForwardedFor)
    {
        var hops = new List<Hop>();
        if (!StringValues.IsNullOrEmpty(forwarded))
        {
            foreach (var line in forwarded)
            {
                foreach (var element in SplitOutsideQuotes(line ?? string.Empty, ','))
                {
                    foreach (var pair in SplitOutsideQuotes(element, ';'))
                    {
                        var equals = pair.IndexOf('=');
                        if (equals > 0 && pair.AsSpan(0, equals).Trim().Equals("for", StringComparison.OrdinalIgnoreCase))
                        {
                            hops.Add(ParseNode(Unquote(pair[(equals + 1)..].Trim())));
                        }
                    }
                }
            }
        }
        else
        {
            foreach (var line in xForwardedFor)
            {
                foreach (var entry in (line ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    hops.Add(ParseNode(entry));
                }
            }
        }

        return hops.Count > MaxEntries ? hops[^MaxEntries..] : hops;
    }

    /// <summary>An address with an optional port: <c>192.0.2.1</c>, <c>192.0.2.1:80</c>, <c>[2001:db8::1]:80</c>, <c>2001:db8::1</c>.</summary>
    internal static Hop ParseNode(string node)
    {
        if (node.StartsWith('['))
        {
            var close = node.IndexOf(']');
            if (close > 0 && IPAddress.TryParse(node.AsSpan(1, close - 1), out var v6))
            {
                var rest = node.AsSpan(close + 1);
                return new Hop(v6, rest.Length > 1 && rest[0] == ':' && ushort.TryParse(rest[1..], out var p6) ? p6 : null);
            }

            return new Hop(null, null);
        }

        var colon = node.IndexOf(':');
        if (colon > 0 && node.IndexOf(':', colon + 1) < 0)
        {
            // IPv4 with a port; a bare IPv6 address has several colons.
            return IPAddress.TryParse(node.AsSpan(0, colon), out var v4)
                ? new Hop(v4, ushort.TryParse(node.AsSpan(colon + 1), out var p4) ? p4 : null)
                : new Hop(null, null);
        }

        return IPAddress.TryParse(node, out var address) ? new Hop(address, null) : new Hop(null, null);
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal) : value;

    private static IEnumerable<string> SplitOutsideQuotes(string text, char separator)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"' && (i == 0 || text[i - 1] != '\\'))
            {
                quoted = !quoted;
            }
            else if (text[i] == separator && !quoted)
            {
                yield return text[start..i].Trim();
                start = i + 1;
            }
        }

        yield return text[start..].Trim();
    }
}
