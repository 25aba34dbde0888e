using Gateway.Configuration;
using Gateway.Telemetry;
using Microsoft.Extensions.Primitives;

namespace Gateway.HeaderCapture;

/// <summary>
/// Turns request or response headers into <c>http.request.header.*</c> /
/// <c>http.response.header.*</c> attributes: filtered by the allowlist, redacted, and cut
/// to size. Nothing is lost silently: a cut value ends in <c>…[truncated]</c> and headers
/// over the count limit are counted in <c>gateway.*.headers_dropped</c>.
/// </summary>
public sealed class HeaderCapturePolicy
{
    private readonly HeaderLoggingMode _mode;
    private readonly HashSet<string> _allowlist;
    private readonly HashSet<string> _redact;
    private readonly int _maxValueLength;
    private readonly int _maxHeaders;

    /// <summary>Builds the policy from validated settings.</summary>
    public HeaderCapturePolicy(HeaderLoggingSettings settings)
    {
        _mode = settings.Mode;
        _allowlist = new HashSet<string>(settings.Allowlist ?? [], StringComparer.OrdinalIgnoreCase);
        _redact = new HashSet<string>(settings.EffectiveRedact, StringComparer.OrdinalIgnoreCase);
        _maxValueLength = Math.Max(1, settings.MaxValueLength);
        _maxHeaders = Math.Max(0, settings.MaxHeaders);
    }

    /// <summary>Adds the captured request headers to <paramref name="attributes"/>.</summary>
    public void CaptureRequest(IEnumerable<KeyValuePair<string, StringValues>> headers, ICollection<KeyValuePair<string, object?>> attributes) =>
        Capture(headers, SemanticConventions.HttpRequestHeaderPrefix, SemanticConventions.GatewayRequestHeadersDropped, attributes);

    /// <summary>Adds the captured response headers to <paramref name="attributes"/>.</summary>
    public void CaptureResponse(IEnumerable<KeyValuePair<string, StringValues>> headers, ICollection<KeyValuePair<string, object?>> attributes) =>
        Capture(headers, SemanticConventions.HttpResponseHeaderPrefix, SemanticConventions.GatewayResponseHeadersDropped, attributes);

    /// <summary>True when values of <paramref name="headerName"/> are replaced by <c>[REDACTED]</c>.</summary>
    public bool IsRedacted(string headerName) => _redact.Contains(headerName);

    /// <summary>Cuts <paramref name="value"/> to the length limit, marking the cut.</summary>
    public string Limit(string value)
    {
        if (value.Length <= _maxValueLength)
        {
            return value;
        }

        // Never end on the first half of a surrogate pair: that would make an invalid string.
        var cut = _maxValueLength;
        if (char.IsHighSurrogate(value[cut - 1]))
        {
            cut--;
        }

        return string.Concat(value.AsSpan(0, cut), SemanticConventions.TruncatedSuffix);
    }

    private void Capture(
        IEnumerable<KeyValuePair<string, StringValues>> headers,
        string prefix,
        string droppedAttribute,
        ICollection<KeyValuePair<string, object?>> attributes)
    {
        var captured = 0;
        var dropped = 0;
        foreach (var (name, values) in headers)
        {
            if (_mode == HeaderLoggingMode.Allowlist && !_allowlist.Contains(name))
            {
                continue;
            }

            if (captured >= _maxHeaders)
            {
                dropped++;
                continue;
            }

            captured++;
            attributes.Add(new(prefix + name.ToLowerInvariant(), Values(name, values)));
        }

        if (dropped > 0)
        {
            attributes.Add(new(droppedAttribute, (long)dropped));
        }
    }

    private string[] Values(string name, StringValues values)
    {
        var redact = IsRedacted(name);
        var result = new string[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = redact ? SemanticConventions.RedactedValue : Limit(values[i] ?? string.Empty);
        }

        return result;
    }
}
