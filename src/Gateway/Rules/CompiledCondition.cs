using System.Linq.Expressions;

namespace Gateway.Rules;

/// <summary>
/// A rule's condition compiled once per configuration: one method over
/// <see cref="IRuleAttributes"/>, the attributes it reads (all named by constants, so the
/// phase is known at load) and that phase.
/// </summary>
public sealed class CompiledCondition
{
    private readonly Func<IRuleAttributes, RuleValue> _evaluate;

    internal CompiledCondition(string text, Func<IRuleAttributes, RuleValue> evaluate, Expression<Func<IRuleAttributes, RuleValue>> tree,
        IReadOnlyList<RuleAttribute> attributes)
    {
        Text = text;
        _evaluate = evaluate;
        Tree = tree;
        Attributes = attributes;
        Reads = [.. attributes.Select(a => a.Name)];
        // The latest phase among what it reads (a condition that reads nothing is the connection's).
        Phase = attributes.Count == 0 ? RulePhase.Connection : attributes.Max(a => a.Phase);
    }

    /// <summary>The condition as written.</summary>
    public string Text { get; }

    /// <summary>The attribute names the condition reads, in order of first appearance.</summary>
    public IReadOnlyList<string> Reads { get; }

    /// <summary>The attributes it reads, as resolved at compile time, in the order of <see cref="Reads"/>.</summary>
    public IReadOnlyList<RuleAttribute> Attributes { get; }

    /// <summary>When it can be evaluated.</summary>
    public RulePhase Phase { get; }

    /// <summary>What <see cref="Evaluate"/> runs, as an expression over its input, for <see cref="RuleProgram"/>.</summary>
    internal Expression<Func<IRuleAttributes, RuleValue>> Tree { get; }

    /// <summary>Evaluates the condition; the result is a CEL value (a bool for a well-formed condition, or an error).</summary>
    public RuleValue Evaluate(IRuleAttributes input) => _evaluate(input);
}
