using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Gateway.Rules;

/// <summary>
/// What a compiled condition calls at run time besides <see cref="CelOperators"/>: reading the
/// request's attributes, the logical operators' and comprehensions' rules about errors, indexing,
/// <c>matches</c> and membership in a constant list. <see cref="CelCompiler"/> writes each condition as
/// one method that calls these (small enough for the JIT to inline into it).
/// </summary>
internal static class CelRuntime
{
    /// <summary>
    /// Runs <paramref name="method"/> once over a request that has no attributes, so that the runtime compiles
    /// it to machine code now (at a reload) rather than at the first request that needs it: a compiled
    /// expression is only IL until its first call, and its first call costs ~0.3 ms per rule.
    /// </summary>
    public static void Warm<T>(Func<IRuleAttributes, T> method) => method(NoAttributes.Instance);

    /// <summary><c>attrs["name"]</c>: the attribute, or the error CEL gives for a missing key.</summary>
    public static RuleValue Read(IRuleAttributes input, RuleAttribute attribute, string missing) =>
        input.TryGet(attribute, out var value) ? value : RuleValue.Error(missing);

    /// <summary><c>"name" in attrs</c> and <c>has(attrs.name)</c>.</summary>
    public static RuleValue Has(IRuleAttributes input, RuleAttribute attribute) => RuleValue.Of(input.TryGet(attribute, out _));

    /// <summary>True for <c>false</c>: a rule that did not match (anything else, an error too, is decided rule by rule).</summary>
    public static bool IsFalse(in RuleValue r) => r.Kind == RuleValueKind.Bool && !r.Bool;

    /// <summary>True when <paramref name="a"/> alone decides <c>a || b</c> (true) or <c>a &amp;&amp; b</c> (false).</summary>
    public static bool Decides(in RuleValue a, bool or) => a.Kind == RuleValueKind.Bool && a.Bool == or;

    /// <summary>
    /// <c>a || b</c> or <c>a &amp;&amp; b</c> where <paramref name="a"/> did not decide. CEL's logical operators
    /// are commutative over errors: false &amp;&amp; error is false, error &amp;&amp; false too; an error only comes out
    /// when no operand decides.
    /// </summary>
    public static RuleValue Logical(in RuleValue a, in RuleValue b, bool or)
    {
        if (Decides(b, or))
        {
            return b;
        }

        if (a.IsError)
        {
            return a;
        }

        if (b.IsError)
        {
            return b;
        }

        return a.Kind == RuleValueKind.Bool && b.Kind == RuleValueKind.Bool
            ? RuleValue.Of(!or)
            : RuleValue.Error($"no such overload: {CelOperators.Describe(a)} {(or ? "||" : "&&")} {CelOperators.Describe(b)}");
    }

    /// <summary><c>c ? x : y</c> where <paramref name="condition"/> is no bool.</summary>
    public static RuleValue NotACondition(in RuleValue condition) =>
        condition.IsError ? condition : RuleValue.Error($"no such overload: {CelOperators.Describe(condition)} ? _ : _");

    /// <summary>True for a list (what a comprehension ranges over).</summary>
    public static bool IsList(in RuleValue items) => items.Kind is RuleValueKind.List or RuleValueKind.StringList;

    /// <summary>What a comprehension over <paramref name="items"/>, no list, gives.</summary>
    public static RuleValue NotAList(in RuleValue items) =>
        items.IsError ? items : RuleValue.Error($"no such overload: {CelOperators.Describe(items)}.exists()");

    /// <summary>What a comprehension's predicate that gave no bool makes of its result.</summary>
    public static RuleValue NotABool(in RuleValue result, string message) => result.IsError ? result : RuleValue.Error(message);

    /// <summary><c>list[i]</c>.</summary>
    public static RuleValue Index(in RuleValue list, in RuleValue i)
    {
        if (list.IsError)
        {
            return list;
        }

        if (i.IsError)
        {
            return i;
        }

        if (list.Kind is not (RuleValueKind.List or RuleValueKind.StringList))
        {
            return RuleValue.Error($"no such overload: {CelOperators.Describe(list)}[{CelOperators.Describe(i)}]");
        }

        long position;
        if (i.Kind == RuleValueKind.Int)
        {
            position = i.Int;
        }
        else if (i.Kind == RuleValueKind.Double && i.Double == Math.Floor(i.Double))
        {
            position = (long)i.Double;
        }
        else
        {
            return RuleValue.Error($"no such overload: list[{CelOperators.Describe(i)}]");
        }

        return position >= 0 && position < list.Count ? list.ElementAt((int)position) : RuleValue.Error($"index out of bounds: {position}");
    }

    /// <summary><c>s.matches(re)</c> with the expression compiled at load.</summary>
    public static RuleValue Matches(in RuleValue s, Regex regex)
    {
        if (s.Kind == RuleValueKind.String)
        {
            return RuleValue.Of(regex.IsMatch(s.String));
        }

        return s.IsError ? s : RuleValue.Error($"no such overload: {CelOperators.Describe(s)}.matches(string)");
    }

    /// <summary>
    /// <c>a in [...]</c> over a constant list of strings (a JA4 deny list, addresses): only a string can
    /// equal one of them (CEL's equality is heterogeneous), so it is one ordinal test per element.
    /// </summary>
    public static RuleValue InStrings(in RuleValue a, string[] items)
    {
        if (a.Kind != RuleValueKind.String)
        {
            return a.IsError ? a : RuleValue.False;
        }

        var text = a.String;
        foreach (var item in items)
        {
            if (string.Equals(text, item, StringComparison.Ordinal))
            {
                return RuleValue.True;
            }
        }

        return RuleValue.False;
    }

    /// <summary>As <see cref="InStrings"/>, over a long list: one hash lookup.</summary>
    public static RuleValue InStringSet(in RuleValue a, FrozenSet<string> items) =>
        a.Kind == RuleValueKind.String ? RuleValue.Of(items.Contains(a.String)) : a.IsError ? a : RuleValue.False;
}

/// <summary>A request without attributes, for <see cref="CelRuntime.Warm{T}"/>.</summary>
file sealed class NoAttributes : IRuleAttributes
{
    public static readonly NoAttributes Instance = new();

    public bool TryGet(string name, out RuleValue value)
    {
        value = default;
        return false;
    }

    public bool TryGet(RuleAttribute attribute, out RuleValue value)
    {
        value = default;
        return false;
    }
}
