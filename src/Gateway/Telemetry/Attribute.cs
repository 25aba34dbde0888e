using Gateway.Telemetry.Records;

namespace Gateway.Telemetry;

/// <summary>One attribute: its encoded name and a value that is never boxed.</summary>
internal readonly struct Attribute(AttributeName name, AttributeKind kind, long bits, object? reference)
{
    /// <summary>The name.</summary>
    public AttributeName Name { get; } = name;

    /// <summary>The value's type.</summary>
    public AttributeKind Kind { get; } = kind;

    /// <summary>The integer, the boolean (0/1) or the double's bits.</summary>
    public long Bits { get; } = bits;

    /// <summary>The string, or the string array.</summary>
    public object? Reference { get; } = reference;

    /// <summary>The integer value.</summary>
    public long Int => Bits;

    /// <summary>The boolean value.</summary>
    public bool Bool => Bits != 0;

    /// <summary>The double value.</summary>
    public double Double => BitConverter.Int64BitsToDouble(Bits);

    /// <summary>The string value.</summary>
    public string String => (string)Reference!;

    /// <summary>How many strings a string-array value holds (one when it was added as a single string).</summary>
    public int StringCount => Reference switch
    {
        string[] array => array.Length,
        string => 1,
        _ => 0,
    };

    /// <summary>String <paramref name="index"/> of a string-array value.</summary>
    public string StringAt(int index) => Reference is string[] array ? array[index] ?? string.Empty : (string)Reference!;

    /// <summary>The group value.</summary>
    public AttributeList Group => (AttributeList)Reference!;

    /// <summary>The value as an object (boxes): for readers that are not on the hot path.</summary>
    public object? Boxed => Kind switch
    {
        AttributeKind.String => Reference,
        AttributeKind.Strings => Reference as string[] ?? [(string)Reference!],
        AttributeKind.Bool => Bool,
        AttributeKind.Int => Int,
        AttributeKind.Double => Double,
        _ => null,
    };
}
