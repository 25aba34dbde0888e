using System.Linq.Expressions;

namespace Gateway.Rules;

/// <summary>
/// A rule's condition compiled once per configuration: one method over
/// <see cref="IRuleAttributes"/>, the attributes it reads (all named by constants, so the
/// phase is known at load) and that phase.
/// </summary>
public sealed class CompiledCondition
{
    private Func<IRuleAttributes, RuleValue>? _evaluate;

    internal CompiledCondition(string text, RuleValue? constant, Expression<Func<IRuleAttributes, RuleValue>> tree, IReadOnlyList<RuleAttribute> attributes)
    {
        Text = text;
        Tree = tree;
        Attributes = attributes;
        Reads = [.. attributes.Select(a => a.Name)];
        // The latest phase among what it reads (a condition that reads nothing is the connection's).
        Phase = attributes.Count == 0 ? RulePhase.Connection : attributes.Max(a => a.Phase);
        // The request's and the response's rules run in their phase's program (RuleProgram): their own
        // method is compiled only if asked for (compiling costs ~1-2 ms per condition, at each reload).
        // The connection's rules run one by one, once per connection: compiled now, off the request path.
        if (constant is { } value)
        {
            _evaluate = _ => value;
        }
        else if (Phase == RulePhase.Connection)
        {
            _evaluate = Method(tree);
            CelRuntime.Warm(_evaluate);
        }
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
    public RuleValue Evaluate(IRuleAttributes input) => (_evaluate ??= Method(Tree))(input);

    // The condition as a method of its own, each attribute read once (CelReads).
    private static Func<IRuleAttributes, RuleValue> Method(Expression<Func<IRuleAttributes, RuleValue>> tree)
    {
        var input = tree.Parameters[0];
        var reads = new CelReads(input);
        var body = reads.Rewrite(tree);
        return Expression.Lambda<Func<IRuleAttributes, RuleValue>>(
            Expression.Block(typeof(RuleValue), reads.Locals, [.. reads.Initialize(), body]), tree.Name, [input]).Compile();
    }
}
