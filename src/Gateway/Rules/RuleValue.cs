using System.Globalization;

namespace Gateway.Rules;

/// <summary>
/// One CEL value during a rule's evaluation: a struct, so that numbers and booleans are not
/// boxed and a request's evaluation allocates nothing. Strings and string lists are held by
/// reference (a header's values are read in place). Three words: a double is kept as its bits in
/// the integer's place.
/// </summary>
public readonly struct RuleValue
{
    private readonly long _number;
    private readonly object? _reference;

    private RuleValue(RuleValueKind kind, long number = 0, object? reference = null)
    {
        Kind = kind;
        _number = number;
        _reference = reference;
    }

    /// <summary>CEL <c>null</c>.</summary>
    public static RuleValue Null => default;

    /// <summary>CEL <c>true</c>.</summary>
    public static RuleValue True { get; } = new(RuleValueKind.Bool, 1);

    /// <summary>CEL <c>false</c>.</summary>
    public static RuleValue False { get; } = new(RuleValueKind.Bool, 0);

    /// <summary>The value's CEL type.</summary>
    public RuleValueKind Kind { get; }

    /// <summary>True for a CEL error.</summary>
    public bool IsError => Kind == RuleValueKind.Error;

    /// <summary>The boolean (valid when <see cref="Kind"/> is <see cref="RuleValueKind.Bool"/>).</summary>
    public bool Bool => _number != 0;

    /// <summary>The integer (valid when <see cref="Kind"/> is <see cref="RuleValueKind.Int"/>).</summary>
    public long Int => _number;

    /// <summary>The double (valid when <see cref="Kind"/> is <see cref="RuleValueKind.Double"/>).</summary>
    public double Double => BitConverter.Int64BitsToDouble(_number);

    /// <summary>The string (valid when <see cref="Kind"/> is <see cref="RuleValueKind.String"/>).</summary>
    public string String => (string)_reference!;

    /// <summary>The error's message (valid when <see cref="IsError"/>).</summary>
    public string ErrorMessage => (string)_reference!;

    /// <summary>Number of elements of a list (0 for anything else).</summary>
    public int Count => Kind switch
    {
        RuleValueKind.StringList => _reference is string[] array ? array.Length : 1,
        RuleValueKind.List => ((RuleValue[])_reference!).Length,
        _ => 0,
    };

    /// <summary>A boolean.</summary>
    public static RuleValue Of(bool value) => value ? True : False;

    /// <summary>An integer.</summary>
    public static RuleValue Of(long value) => new(RuleValueKind.Int, value);

    /// <summary>A double.</summary>
    public static RuleValue Of(double value) => new(RuleValueKind.Double, BitConverter.DoubleToInt64Bits(value));

    /// <summary>A string; null becomes CEL <c>null</c>.</summary>
    public static RuleValue Of(string? value) => value is null ? Null : new(RuleValueKind.String, reference: value);

    /// <summary>A list of strings held as one string or an array (a header's values as <c>StringValues</c> keeps them), not copied.</summary>
    public static RuleValue OfStrings(object? stringOrArray) => stringOrArray switch
    {
        string or string[] => new(RuleValueKind.StringList, reference: stringOrArray),
        _ => new(RuleValueKind.StringList, reference: Array.Empty<string>()),
    };

    /// <summary>A list of values.</summary>
    public static RuleValue OfList(RuleValue[] items) => new(RuleValueKind.List, reference: items);

    /// <summary>A CEL error with its message.</summary>
    public static RuleValue Error(string message) => new(RuleValueKind.Error, reference: message);

    /// <summary>The element at <paramref name="index"/> of a list (no bounds check: callers check <see cref="Count"/>).</summary>
    public RuleValue ElementAt(int index) => Kind switch
    {
        RuleValueKind.StringList => Of(_reference is string[] array ? array[index] : (string)_reference!),
        RuleValueKind.List => ((RuleValue[])_reference!)[index],
        _ => Error("not a list"),
    };

    /// <summary>The value as plain .NET data for an alert (string, long, double, bool, null, string[] or object[]).</summary>
    public object? ToPlain() => Kind switch
    {
        RuleValueKind.Bool => Bool,
        RuleValueKind.Int => Int,
        RuleValueKind.Double => Double,
        RuleValueKind.String => String,
        RuleValueKind.StringList => _reference is string[] array ? array : new[] { (string)_reference! },
        RuleValueKind.List => Array.ConvertAll((RuleValue[])_reference!, v => v.ToPlain()),
        RuleValueKind.Error => ErrorMessage,
        _ => null,
    };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        RuleValueKind.Null => "null",
        RuleValueKind.Bool => Bool ? "true" : "false",
        RuleValueKind.Int => Int.ToString(CultureInfo.InvariantCulture),
        RuleValueKind.Double => Double.ToString("R", CultureInfo.InvariantCulture),
        RuleValueKind.String => String,
        RuleValueKind.Error => "error: " + ErrorMessage,
        _ => ListText(),
    };

    private string ListText()
    {
        var parts = new string[Count];
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = ElementAt(i).ToString();
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}
