namespace Gateway.Rules;

/// <summary>
/// An attribute name a condition reads, resolved once when the condition compiles: one instance per
/// name in the process (conditions name attributes by constants only, so there are as many as the
/// configurations name), so a view of a request can keep what it resolved the name to
/// (<see cref="Reader"/>) and what one evaluation read (by reference) instead of switching on the
/// string at every read.
/// </summary>
public sealed class RuleAttribute
{
    private const string HeaderPrefix = "http.request.header.";

    private static readonly Dictionary<string, RuleAttribute> Known = new(StringComparer.Ordinal);

    private RuleAttribute(string name)
    {
        Name = name;
        Phase = RuleAttributePhases.Of(name);
        RequestHeader = name.StartsWith(HeaderPrefix, StringComparison.Ordinal) ? name[HeaderPrefix.Length..] : null;
        IsWire = name.StartsWith("wire.", StringComparison.Ordinal);
    }

    /// <summary>The schema name, e.g. <c>http.request.header.user-agent</c>.</summary>
    public string Name { get; }

    /// <summary>When it is known.</summary>
    public RulePhase Phase { get; }

    /// <summary>For <c>http.request.header.NAME</c>: <c>NAME</c>, as the condition wrote it; else null.</summary>
    public string? RequestHeader { get; }

    /// <summary>True for <c>wire.*</c>: what the kernel saw.</summary>
    public bool IsWire { get; }

    /// <summary>
    /// What the request's view resolved this name to (its accessor), set by the view at the name's first
    /// read and kept for every later one; the rules never look at it. Two threads resolving at once
    /// store equal accessors.
    /// </summary>
    internal object? Reader { get; set; }

    /// <summary>The one instance for <paramref name="name"/> (made at a configuration's load, not per request).</summary>
    public static RuleAttribute Of(string name)
    {
        lock (Known)
        {
            if (!Known.TryGetValue(name, out var attribute))
            {
                attribute = new RuleAttribute(string.Intern(name));
                Known.Add(attribute.Name, attribute);
            }

            return attribute;
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
