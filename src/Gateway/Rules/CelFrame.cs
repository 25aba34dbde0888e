using System.Runtime.CompilerServices;

namespace Gateway.Rules;

/// <summary>
/// The iteration variables of the comprehensions (<c>exists</c>, <c>all</c>, <c>exists_one</c>)
/// in force, one slot per nesting level, on the evaluating thread's stack: an evaluation
/// allocates nothing for them.
/// </summary>
[InlineArray(MaxDepth)]
internal struct CelFrame
{
    /// <summary>Deepest nesting of comprehensions a condition may have.</summary>
    public const int MaxDepth = 4;

    private RuleValue _slot;
}
