using System.Collections.Frozen;

namespace Gateway.HeaderCapture;

/// <summary>
/// Decides whether a header or query parameter name is redacted. Names listed explicitly
/// (globally or by the route) always are; the built-in defaults and name fragments are,
/// unless the operator listed the name in <c>Unredact</c>.
/// </summary>
internal sealed class RedactionRules
{
    private readonly FrozenSet<string> _explicit;
    private readonly FrozenSet<string> _defaults;
    private readonly FrozenSet<string> _unredact;
    private readonly string[] _parts;

    public RedactionRules(IEnumerable<string> explicitNames, IEnumerable<string> defaults, IEnumerable<string> parts, IEnumerable<string> unredact)
    {
        _explicit = explicitNames.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _defaults = defaults.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _unredact = unredact.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _parts = [.. parts.Where(p => p.Length > 0)];
    }

    /// <summary>True when values of <paramref name="name"/> must never reach a record.</summary>
    public bool IsRedacted(ReadOnlySpan<char> name)
    {
        var explicitLookup = _explicit.GetAlternateLookup<ReadOnlySpan<char>>();
        if (explicitLookup.Contains(name))
        {
            return true;
        }

        if (_unredact.GetAlternateLookup<ReadOnlySpan<char>>().Contains(name))
        {
            return false;
        }

        if (_defaults.GetAlternateLookup<ReadOnlySpan<char>>().Contains(name))
        {
            return true;
        }

        foreach (var part in _parts)
        {
            if (name.Contains(part, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
