namespace Gateway.Rules;

/// <summary>The CEL types a rule condition works with.</summary>
public enum RuleValueKind : byte
{
    /// <summary>CEL <c>null</c>.</summary>
    Null,

    /// <summary>CEL <c>bool</c>.</summary>
    Bool,

    /// <summary>CEL <c>int</c> (64-bit signed).</summary>
    Int,

    /// <summary>CEL <c>double</c>.</summary>
    Double,

    /// <summary>CEL <c>string</c>.</summary>
    String,

    /// <summary>A CEL <c>list(string)</c> held as a header's values (a string or a string array), without copying.</summary>
    StringList,

    /// <summary>A CEL <c>list</c> of any values (list literals of a condition).</summary>
    List,

    /// <summary>A CEL evaluation error (no such key, no matching overload, overflow...): absorbed by <c>&amp;&amp;</c> and <c>||</c> as CEL says.</summary>
    Error,
}
