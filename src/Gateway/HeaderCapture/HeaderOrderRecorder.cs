using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.HeaderCapture;

/// <summary>
/// Records request header names in the order Kestrel parsed them off the wire, which its
/// header dictionary does not keep (known headers come out in a fixed order).
/// </summary>
/// <remarks>
/// Kestrel asks <see cref="KestrelServerOptions.RequestHeaderEncodingSelector"/> once per header
/// line, in wire order, on the connection's own async flow; the recorder answers "default
/// encoding" and notes the name in a list that the connection middleware put into an
/// <see cref="AsyncLocal{T}"/>. An HTTP/1.x connection parses one request's headers at a time,
/// so the request middleware takes the list when the request starts and clears it when it ends
/// (which also drops trailers). Kestrel's string reuse would skip the selector for a value
/// equal to the previous request's, so it is turned off. HTTP/2 multiplexes streams over one
/// parser: no order is recorded for it.
/// </remarks>
internal static class HeaderOrderRecorder
{
    // Kestrel refuses more than MaxRequestHeaderCount (100 by default) headers anyway; this
    // bounds the list should a larger limit be configured.
    private const int MaxNames = 2048;

    private static readonly AsyncLocal<NameList?> Current = new();

    /// <summary>Hooks the recorder into Kestrel, keeping any selector set before.</summary>
    public static void Install(KestrelServerOptions options)
    {
        options.DisableStringReuse = true;
        var previous = options.RequestHeaderEncodingSelector;
        options.RequestHeaderEncodingSelector = name =>
        {
            Current.Value?.Add(name);
            return previous(name);
        };
    }

    /// <summary>Connection middleware: gives each connection its own list.</summary>
    public static ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        // Set inside an async method: the value belongs to this connection's flow only.
        Current.Value = new NameList();
        await next(connection);
    };

    /// <summary>The names recorded since the last take, and a fresh start; null when nothing was recorded or the protocol is not HTTP/1.x.</summary>
    public static string[]? Take(string protocol) => IsHttp1(protocol) ? Current.Value?.Take() : null;

    /// <summary>Forgets names recorded after the request started (trailers).</summary>
    /// <remarks>
    /// Only HTTP/1.x requests touch the list: an HTTP/2 connection's parser keeps adding to it while
    /// its streams run (it stops growing at the bound), and no stream may empty it under the parser.
    /// </remarks>
    public static void Clear(string protocol)
    {
        if (IsHttp1(protocol))
        {
            Current.Value?.Take();
        }
    }

    private static bool IsHttp1(string protocol) => protocol.StartsWith("HTTP/1", StringComparison.Ordinal);

    // Filled by Kestrel's parser and emptied by the request that follows, one after the other on
    // the connection's flow (HTTP/1.x parses the next request only once this one is done), so it
    // needs no lock; the list is reused, and each request gets its own array.
    private sealed class NameList
    {
        private readonly List<string> _names = new(16);

        public void Add(string name)
        {
            if (_names.Count < MaxNames)
            {
                _names.Add(name);
            }
        }

        public string[]? Take()
        {
            if (_names.Count == 0)
            {
                return null;
            }

            var names = _names.ToArray();
            _names.Clear();
            return names;
        }
    }
}
