using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text;
using Gateway.Configuration;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gateway.HeaderCapture;

/// <summary>
/// The header policy of one route, compiled once: turns request or response headers into
/// <c>http.request.header.*</c> / <c>http.response.header.*</c> attributes (filtered by mode
/// and allowlist, redacted, cut to size), redacts the query string, and lists the request's
/// header names in the order received. Nothing is lost silently: a cut value ends in
/// <c>…[truncated]</c>, and headers over the count or byte limit are counted in
/// <c>gateway.*.headers_dropped</c>.
/// </summary>
public sealed class HeaderCapturePolicy
{
    // Names seen on this route, with everything derived from them; bounded so that a client
    // sending random header names cannot grow it (past the bound names are derived per request).
    private const int NameCacheLimit = 1024;

    private readonly HeaderLoggingMode _requestMode;
    private readonly HeaderLoggingMode _responseMode;
    private readonly FrozenSet<string> _requestAllowlist;
    private readonly FrozenSet<string> _responseAllowlist;
    private readonly RedactionRules _headerRedaction;
    private readonly QueryRedactor _queryRedactor;
    private readonly ConcurrentDictionary<string, NameInfo> _names = new(StringComparer.Ordinal);

    // Kestrel and the HTTP client hand out the names of known headers (Host, Accept, Date...)
    // as the same string instance on every request: those are found by reference here, in a
    // small table indexed by length and first character, before the dictionary hashes the name.
    private readonly NameInfo?[] _byInstance = new NameInfo?[64];

    /// <summary>Builds the global policy from validated settings.</summary>
    public HeaderCapturePolicy(HeaderLoggingSettings settings)
        : this(settings, RouteOverrides.None)
    {
    }

    /// <summary>Builds the policy of a route: the global settings with the route's overrides applied.</summary>
    public HeaderCapturePolicy(HeaderLoggingSettings settings, RouteOverrides overrides)
    {
        _requestMode = overrides.RequestMode ?? settings.Request.Mode;
        _responseMode = overrides.ResponseMode ?? settings.Response.Mode;
        _requestAllowlist = (overrides.RequestAllowlist ?? settings.Request.Allowlist ?? []).ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _responseAllowlist = (overrides.ResponseAllowlist ?? settings.Response.Allowlist ?? []).ToFrozenSet(StringComparer.OrdinalIgnoreCase);

        var parts = settings.RedactNameParts ?? HeaderLoggingSettings.DefaultRedactNameParts;
        var unredact = settings.Unredact ?? [];
        _headerRedaction = new RedactionRules(
            [.. settings.Redact ?? [], .. overrides.Redact], HeaderLoggingSettings.DefaultRedact, parts, unredact);
        _queryRedactor = new QueryRedactor(new RedactionRules(
            [.. settings.RedactQuery ?? [], .. overrides.RedactQuery], HeaderLoggingSettings.DefaultRedactQuery, parts, unredact));

        MaxValueBytes = Math.Max(1, overrides.MaxValueBytes ?? settings.MaxValueBytes);
        MaxHeaders = Math.Max(0, overrides.MaxHeaders ?? settings.MaxHeaders);
        MaxTotalBytes = Math.Max(0, overrides.MaxTotalBytes ?? settings.MaxTotalBytes);
        RecordsHeaderOrder = settings.HeaderOrder;
    }

    /// <summary>Longest kept value in UTF-8 bytes (the truncation marker comes on top).</summary>
    public int MaxValueBytes { get; }

    /// <summary>Most headers captured per direction.</summary>
    public int MaxHeaders { get; }

    /// <summary>Most bytes of names and kept values captured per direction.</summary>
    public int MaxTotalBytes { get; }

    /// <summary>Whether <c>gateway.request.header_order</c> is recorded.</summary>
    public bool RecordsHeaderOrder { get; }

    /// <summary>Adds the captured request headers to <paramref name="attributes"/>.</summary>
    internal void CaptureRequest(IHeaderDictionary headers, AttributeList attributes) =>
        Capture(headers, request: true, attributes);

    /// <summary>Adds the captured response headers to <paramref name="attributes"/>.</summary>
    internal void CaptureResponse(IHeaderDictionary headers, AttributeList attributes) =>
        Capture(headers, request: false, attributes);

    /// <summary>True when values of the header <paramref name="headerName"/> are replaced by <c>[REDACTED]</c>.</summary>
    public bool IsRedacted(string headerName) => Info(headerName).Redacted;

    /// <summary>The query string (without <c>?</c>) with the values of redacted parameters replaced.</summary>
    public string RedactQuery(string query) => _queryRedactor.Redact(query);

    /// <summary>
    /// Adds <c>gateway.request.header_order</c>: the lower-case names in the order received, at
    /// most <see cref="MaxHeaders"/> of them (the rest counted in <c>gateway.request.header_order_dropped</c>).
    /// </summary>
    /// <remarks><paramref name="names"/> belongs to the request: it is rewritten in place (lower-cased) when all of it is kept.</remarks>
    internal void AddHeaderOrder(string[]? names, AttributeList attributes)
    {
        if (!RecordsHeaderOrder || names is null || names.Length == 0)
        {
            return;
        }

        var kept = Math.Min(names.Length, MaxHeaders);
        var order = kept == names.Length ? names : new string[kept];
        for (var i = 0; i < kept; i++)
        {
            order[i] = Limit(Info(names[i]).Lower);
        }

        attributes.Add(SemanticConventions.GatewayRequestHeaderOrder, order);
        if (names.Length > kept)
        {
            attributes.Add(SemanticConventions.GatewayRequestHeaderOrderDropped, (long)(names.Length - kept));
        }
    }

    /// <summary>Cuts <paramref name="value"/> to <see cref="MaxValueBytes"/> UTF-8 bytes at a character boundary, marking the cut.</summary>
    public string Limit(string value)
    {
        // Every UTF-16 code unit takes at most 3 UTF-8 bytes (a surrogate pair takes 4 for 2 units).
        if (value.Length <= MaxValueBytes / 3 || Encoding.UTF8.GetByteCount(value) <= MaxValueBytes)
        {
            return value;
        }

        var bytes = 0;
        var cut = 0;
        while (cut < value.Length)
        {
            int size;
            int units;
            var c = value[cut];
            if (char.IsHighSurrogate(c) && cut + 1 < value.Length && char.IsLowSurrogate(value[cut + 1]))
            {
                (size, units) = (4, 2);
            }
            else
            {
                (size, units) = (c < 0x80 ? 1 : c < 0x800 ? 2 : 3, 1);
            }

            if (bytes + size > MaxValueBytes)
            {
                break;
            }

            bytes += size;
            cut += units;
        }

        return string.Concat(value.AsSpan(0, cut), SemanticConventions.TruncatedSuffix);
    }

    private void Capture(IHeaderDictionary headers, bool request, AttributeList attributes)
    {
        var mode = request ? _requestMode : _responseMode;
        if (mode == HeaderLoggingMode.None)
        {
            return;
        }

        var captured = 0;
        var dropped = 0;
        var totalBytes = 0;
        var full = false;
        foreach (var (name, values) in headers)
        {
            var info = Info(name);
            if (mode == HeaderLoggingMode.Allowlist && !(request ? info.RequestAllowed : info.ResponseAllowed))
            {
                continue;
            }

            if (full || captured >= MaxHeaders)
            {
                dropped++;
                continue;
            }

            var budget = MaxTotalBytes - totalBytes - info.NameBytes;
            var attributeName = request ? info.RequestAttribute : info.ResponseAttribute;
            var kept = Values(info, values, budget, out var valueBytes);
            if (kept is null)
            {
                // Over the byte budget: this header and every later one are counted, not captured,
                // so that the record never shows a later, smaller header as if it were all there was.
                full = true;
                dropped++;
                continue;
            }

            totalBytes += info.NameBytes + valueBytes;
            captured++;
            if (kept is string one)
            {
                attributes.AddSingleton(attributeName, one);
            }
            else
            {
                attributes.Add(attributeName, (string[])kept);
            }
        }

        if (dropped > 0)
        {
            attributes.Add(request ? SemanticConventions.GatewayRequestHeadersDropped : SemanticConventions.GatewayResponseHeadersDropped, (long)dropped);
        }
    }

    /// <summary>
    /// The values to record (the common single value as it is, several as an array), or null when
    /// they would not fit in <paramref name="budget"/> bytes.
    /// </summary>
    private object? Values(NameInfo info, StringValues values, int budget, out int bytes)
    {
        bytes = 0;
        if (budget < 0)
        {
            return null;
        }

        if (values.Count == 1)
        {
            var one = Kept(info, values[0]);
            bytes = Encoding.UTF8.GetByteCount(one);
            return bytes <= budget ? one : null;
        }

        var result = new string[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var value = Kept(info, values[i]);
            bytes += Encoding.UTF8.GetByteCount(value);
            if (bytes > budget)
            {
                return null;
            }

            result[i] = value;
        }

        return result;
    }

    private string Kept(NameInfo info, string? value) => info.Redacted ? SemanticConventions.RedactedValue : Limit(value ?? string.Empty);

    private NameInfo Info(string name)
    {
        var slot = name.Length == 0 ? 0 : ((name.Length * 31) + name[0]) & (_byInstance.Length - 1);
        if (Volatile.Read(ref _byInstance[slot]) is { } known && ReferenceEquals(known.Name, name))
        {
            return known;
        }

        if (_names.TryGetValue(name, out var info))
        {
            // The instance the dictionary was first given comes back: a name that is handed out as
            // one instance. A name built afresh per request never matches and is never kept here.
            if (ReferenceEquals(info.Name, name))
            {
                Volatile.Write(ref _byInstance[slot], info);
            }

            return info;
        }

        info = new NameInfo(name, this);
        if (_names.Count < NameCacheLimit)
        {
            _names.TryAdd(name, info);
        }

        return info;
    }

    private sealed class NameInfo
    {
        public NameInfo(string name, HeaderCapturePolicy policy)
        {
            Name = name;
            Lower = name.ToLowerInvariant();
            NameBytes = Encoding.UTF8.GetByteCount(Lower);
            RequestAttribute = AttributeName.Of(SemanticConventions.HttpRequestHeaderPrefix + Lower);
            ResponseAttribute = AttributeName.Of(SemanticConventions.HttpResponseHeaderPrefix + Lower);
            Redacted = policy._headerRedaction.IsRedacted(name);
            RequestAllowed = policy._requestAllowlist.Contains(name);
            ResponseAllowed = policy._responseAllowlist.Contains(name);
        }

        public string Name { get; }

        public string Lower { get; }

        public int NameBytes { get; }

        public AttributeName RequestAttribute { get; }

        public AttributeName ResponseAttribute { get; }

        public bool Redacted { get; }

        public bool RequestAllowed { get; }

        public bool ResponseAllowed { get; }
    }
}
