namespace Gateway.Telemetry;

/// <summary>The type of an attribute's value.</summary>
internal enum AttributeKind : byte
{
    /// <summary>No value (written as JSON null, left out of OTLP).</summary>
    Null,

    /// <summary>A string.</summary>
    String,

    /// <summary>A boolean.</summary>
    Bool,

    /// <summary>A 64-bit integer.</summary>
    Int,

    /// <summary>A double.</summary>
    Double,

    /// <summary>An array of strings (header values).</summary>
    Strings,

    /// <summary>
    /// A shared, unchanging list of attributes spliced in as if added one by one: the facts of a
    /// connection that every request on it repeats, encoded once for all of them.
    /// </summary>
    Group,
}
