using System.Globalization;
using System.Text;

namespace Gateway.Rules;

/// <summary>
/// CEL's operators and standard functions over <see cref="RuleValue"/>, following the
/// language definition (github.com/google/cel-spec, doc/langdef.md): heterogeneous numeric
/// equality and ordering, no implicit conversion in arithmetic, overflow and division by zero
/// as errors, errors passed on by every operator except the logical ones.
/// </summary>
internal static class CelOperators
{
    /// <summary><c>a == b</c>.</summary>
    public static RuleValue Equal(in RuleValue a, in RuleValue b) =>
        a.IsError ? a : b.IsError ? b : RuleValue.Of(AreEqual(a, b));

    /// <summary><c>a != b</c>.</summary>
    public static RuleValue NotEqual(in RuleValue a, in RuleValue b) =>
        a.IsError ? a : b.IsError ? b : RuleValue.Of(!AreEqual(a, b));

    /// <summary><c>a &lt; b</c>.</summary>
    public static RuleValue Less(in RuleValue a, in RuleValue b) => Compare(a, b, "<", out var s, out var decided) ? RuleValue.Of(s < 0) : decided;

    /// <summary><c>a &lt;= b</c>.</summary>
    public static RuleValue LessOrEqual(in RuleValue a, in RuleValue b) => Compare(a, b, "<=", out var s, out var decided) ? RuleValue.Of(s <= 0) : decided;

    /// <summary><c>a &gt; b</c>.</summary>
    public static RuleValue Greater(in RuleValue a, in RuleValue b) => Compare(a, b, ">", out var s, out var decided) ? RuleValue.Of(s > 0) : decided;

    /// <summary><c>a &gt;= b</c>.</summary>
    public static RuleValue GreaterOrEqual(in RuleValue a, in RuleValue b) => Compare(a, b, ">=", out var s, out var decided) ? RuleValue.Of(s >= 0) : decided;

    // True with the sign of a compared with b; false with the result when that decides it: an error
    // passed on, no such overload, or false where a NaN makes the two unordered.
    private static bool Compare(in RuleValue a, in RuleValue b, string op, out int sign, out RuleValue decided)
    {
        decided = default;
        if (a.Kind == RuleValueKind.Int && b.Kind == RuleValueKind.Int)
        {
            // The commonest test (attrs["wire.tcp.mss"] < 536) first.
            sign = a.Int.CompareTo(b.Int);
            return true;
        }

        sign = 0;
        if (a.IsError || b.IsError)
        {
            decided = a.IsError ? a : b;
            return false;
        }

        int? compared = (a.Kind, b.Kind) switch
        {
            (RuleValueKind.Int, RuleValueKind.Int) => a.Int.CompareTo(b.Int),
            (RuleValueKind.Double, RuleValueKind.Double) => CompareDoubles(a.Double, b.Double),
            (RuleValueKind.Int, RuleValueKind.Double) => CompareDoubles(a.Int, b.Double),
            (RuleValueKind.Double, RuleValueKind.Int) => CompareDoubles(a.Double, b.Int),
            (RuleValueKind.String, RuleValueKind.String) => Math.Sign(string.CompareOrdinal(a.String, b.String)),
            (RuleValueKind.Bool, RuleValueKind.Bool) => a.Bool.CompareTo(b.Bool),
            _ => null,
        };
        if (compared is not { } s)
        {
            decided = NoOverload(op, a, b);
            return false;
        }

        // NaN compares false with everything.
        if (s == int.MinValue)
        {
            decided = RuleValue.False;
            return false;
        }

        sign = s;
        return true;
    }

    /// <summary><c>a in list</c>.</summary>
    public static RuleValue In(in RuleValue a, in RuleValue list)
    {
        if (a.IsError)
        {
            return a;
        }

        if (list.IsError)
        {
            return list;
        }

        if (list.Kind is not (RuleValueKind.List or RuleValueKind.StringList))
        {
            return NoOverload("in", a, list);
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (AreEqual(a, list.ElementAt(i)))
            {
                return RuleValue.True;
            }
        }

        return RuleValue.False;
    }

    /// <summary>Binary arithmetic <c>+ - * / %</c>.</summary>
    public static RuleValue Arithmetic(in RuleValue a, in RuleValue b, string op)
    {
        if (a.IsError)
        {
            return a;
        }

        if (b.IsError)
        {
            return b;
        }

        switch (a.Kind, b.Kind)
        {
            case (RuleValueKind.Int, RuleValueKind.Int):
                return IntArithmetic(a.Int, b.Int, op);
            case (RuleValueKind.Double, RuleValueKind.Double):
                return op switch
                {
                    "+" => RuleValue.Of(a.Double + b.Double),
                    "-" => RuleValue.Of(a.Double - b.Double),
                    "*" => RuleValue.Of(a.Double * b.Double),
                    "/" => RuleValue.Of(a.Double / b.Double),
                    _ => NoOverload(op, a, b),
                };
            case (RuleValueKind.String, RuleValueKind.String) when op == "+":
                return RuleValue.Of(a.String + b.String);
            case (RuleValueKind.List or RuleValueKind.StringList, RuleValueKind.List or RuleValueKind.StringList) when op == "+":
                var items = new RuleValue[a.Count + b.Count];
                for (var i = 0; i < a.Count; i++)
                {
                    items[i] = a.ElementAt(i);
                }

                for (var i = 0; i < b.Count; i++)
                {
                    items[a.Count + i] = b.ElementAt(i);
                }

                return RuleValue.OfList(items);
            default:
                return NoOverload(op, a, b);
        }
    }

    /// <summary>Unary minus.</summary>
    public static RuleValue Negate(in RuleValue a) => a.Kind switch
    {
        RuleValueKind.Error => a,
        RuleValueKind.Int when a.Int == long.MinValue => RuleValue.Error("return error for overflow"),
        RuleValueKind.Int => RuleValue.Of(-a.Int),
        RuleValueKind.Double => RuleValue.Of(-a.Double),
        _ => RuleValue.Error($"no such overload: -{Describe(a)}"),
    };

    /// <summary>Logical not.</summary>
    public static RuleValue Not(in RuleValue a) => a.Kind switch
    {
        RuleValueKind.Error => a,
        RuleValueKind.Bool => RuleValue.Of(!a.Bool),
        _ => RuleValue.Error($"no such overload: !{Describe(a)}"),
    };

    /// <summary><c>size(x)</c>: code points of a string, elements of a list.</summary>
    public static RuleValue Size(in RuleValue a) => a.Kind switch
    {
        RuleValueKind.Error => a,
        RuleValueKind.String => RuleValue.Of((long)CodePoints(a.String)),
        RuleValueKind.List or RuleValueKind.StringList => RuleValue.Of((long)a.Count),
        _ => RuleValue.Error($"no such overload: size({Describe(a)})"),
    };

    /// <summary><c>s.contains(arg)</c> (ordinal, as CEL compares code points).</summary>
    public static RuleValue Contains(in RuleValue s, in RuleValue arg) =>
        AreStrings(s, arg, "contains", out var decided) ? RuleValue.Of(s.String.Contains(arg.String, StringComparison.Ordinal)) : decided;

    /// <summary><c>s.startsWith(arg)</c>.</summary>
    public static RuleValue StartsWith(in RuleValue s, in RuleValue arg) =>
        AreStrings(s, arg, "startsWith", out var decided) ? RuleValue.Of(s.String.StartsWith(arg.String, StringComparison.Ordinal)) : decided;

    /// <summary><c>s.endsWith(arg)</c>.</summary>
    public static RuleValue EndsWith(in RuleValue s, in RuleValue arg) =>
        AreStrings(s, arg, "endsWith", out var decided) ? RuleValue.Of(s.String.EndsWith(arg.String, StringComparison.Ordinal)) : decided;

    // True when both are strings; else false with the error passed on, or no such overload.
    private static bool AreStrings(in RuleValue s, in RuleValue arg, string function, out RuleValue decided)
    {
        if (s.Kind == RuleValueKind.String && arg.Kind == RuleValueKind.String)
        {
            decided = default;
            return true;
        }

        decided = s.IsError ? s : arg.IsError ? arg : NoOverload(function, s, arg);
        return false;
    }

    /// <summary><c>lowerAscii()</c> / <c>upperAscii()</c> of the CEL strings extension: only ASCII letters change.</summary>
    public static RuleValue ChangeAsciiCase(in RuleValue s, bool upper)
    {
        if (s.IsError)
        {
            return s;
        }

        if (s.Kind != RuleValueKind.String)
        {
            return RuleValue.Error($"no such overload: {Describe(s)}.{(upper ? "upperAscii" : "lowerAscii")}()");
        }

        var text = s.String;
        var changes = false;
        foreach (var c in text)
        {
            if (upper ? char.IsAsciiLetterLower(c) : char.IsAsciiLetterUpper(c))
            {
                changes = true;
                break;
            }
        }

        if (!changes)
        {
            return s;
        }

        return RuleValue.Of(string.Create(text.Length, (text, upper), static (span, state) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                var c = state.text[i];
                span[i] = state.upper ? (char.IsAsciiLetterLower(c) ? (char)(c - 32) : c) : (char.IsAsciiLetterUpper(c) ? (char)(c + 32) : c);
            }
        }));
    }

    /// <summary>The conversions <c>int()</c>, <c>double()</c>, <c>string()</c>, <c>bool()</c>.</summary>
    public static RuleValue Convert(in RuleValue a, string type)
    {
        if (a.IsError)
        {
            return a;
        }

        switch (type, a.Kind)
        {
            case ("int", RuleValueKind.Int):
            case ("double", RuleValueKind.Double):
            case ("string", RuleValueKind.String):
            case ("bool", RuleValueKind.Bool):
                return a;
            case ("int", RuleValueKind.Double):
                // CEL: truncation toward zero; out of the int64 range is an error.
                return double.IsFinite(a.Double) && a.Double > -9.2233720368547758E18 && a.Double < 9.2233720368547758E18
                    ? RuleValue.Of((long)a.Double)
                    : RuleValue.Error("range error converting double to int");
            case ("int", RuleValueKind.String):
                return long.TryParse(a.String, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
                    ? RuleValue.Of(parsed)
                    : RuleValue.Error("cannot convert string to int");
            case ("double", RuleValueKind.Int):
                return RuleValue.Of((double)a.Int);
            case ("double", RuleValueKind.String):
                return double.TryParse(a.String, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    ? RuleValue.Of(d)
                    : RuleValue.Error("cannot convert string to double");
            case ("string", RuleValueKind.Int or RuleValueKind.Double or RuleValueKind.Bool):
                return RuleValue.Of(a.ToString());
            case ("bool", RuleValueKind.String):
                return a.String switch
                {
                    "true" or "True" or "TRUE" or "t" or "1" => RuleValue.True,
                    "false" or "False" or "FALSE" or "f" or "0" => RuleValue.False,
                    _ => RuleValue.Error("cannot convert string to bool"),
                };
            default:
                return RuleValue.Error($"no such overload: {type}({Describe(a)})");
        }
    }

    /// <summary>CEL's name of a value's type, for error messages.</summary>
    public static string Describe(in RuleValue a) => a.Kind switch
    {
        RuleValueKind.Null => "null_type",
        RuleValueKind.Bool => "bool",
        RuleValueKind.Int => "int",
        RuleValueKind.Double => "double",
        RuleValueKind.String => "string",
        RuleValueKind.StringList or RuleValueKind.List => "list",
        _ => "error",
    };

    private static bool AreEqual(in RuleValue a, in RuleValue b)
    {
        switch (a.Kind, b.Kind)
        {
            case (RuleValueKind.Null, RuleValueKind.Null):
                return true;
            case (RuleValueKind.Bool, RuleValueKind.Bool):
                return a.Bool == b.Bool;
            case (RuleValueKind.Int, RuleValueKind.Int):
                return a.Int == b.Int;
            case (RuleValueKind.Double, RuleValueKind.Double):
                return a.Double == b.Double;
            case (RuleValueKind.Int, RuleValueKind.Double):
                return CompareDoubles(a.Int, b.Double) == 0;
            case (RuleValueKind.Double, RuleValueKind.Int):
                return CompareDoubles(a.Double, b.Int) == 0;
            case (RuleValueKind.String, RuleValueKind.String):
                return string.Equals(a.String, b.String, StringComparison.Ordinal);
            case (RuleValueKind.List or RuleValueKind.StringList, RuleValueKind.List or RuleValueKind.StringList):
                if (a.Count != b.Count)
                {
                    return false;
                }

                for (var i = 0; i < a.Count; i++)
                {
                    if (!AreEqual(a.ElementAt(i), b.ElementAt(i)))
                    {
                        return false;
                    }
                }

                return true;
            default:
                // Heterogeneous equality: values of different types are not equal.
                return false;
        }
    }

    // int.MinValue stands for "unordered" (a NaN on either side).
    private static int CompareDoubles(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? int.MinValue : a.CompareTo(b);

    private static RuleValue IntArithmetic(long a, long b, string op)
    {
        try
        {
            return op switch
            {
                "+" => RuleValue.Of(checked(a + b)),
                "-" => RuleValue.Of(checked(a - b)),
                "*" => RuleValue.Of(checked(a * b)),
                "/" when b == 0 => RuleValue.Error("divide by zero"),
                "/" when a == long.MinValue && b == -1 => RuleValue.Error("return error for overflow"),
                "/" => RuleValue.Of(a / b),
                "%" when b == 0 => RuleValue.Error("modulus by zero"),
                "%" when b == -1 => RuleValue.Of(0L),
                _ => RuleValue.Of(a % b),
            };
        }
        catch (OverflowException)
        {
            return RuleValue.Error("return error for overflow");
        }
    }

    private static int CodePoints(string s)
    {
        var count = 0;
        foreach (var _ in s.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static RuleValue NoOverload(string op, in RuleValue a, in RuleValue b) =>
        RuleValue.Error($"no such overload: {Describe(a)} {op} {Describe(b)}");
}
