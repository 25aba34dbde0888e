using System.Linq.Expressions;
using System.Numerics;

namespace Gateway.Rules;

/// <summary>
/// The conditions of one phase's rules (up to 64) written as one method that evaluates them all in
/// turn and answers which did not give <c>false</c>: a bit per rule. Most requests match nothing, and
/// for them the rules cost one call, over one method's code and one closure, where rule by rule they
/// cost a call, a delegate and a closure each (their objects scattered over the heap, cold when a
/// request arrives). The value of a rule whose bit is set (a match, an error) is left at its index of
/// the values given, for it to be decided; the others are not stored. Each attribute the conditions
/// read is read once per run (the User-Agent that three rules test is asked for once), into a local.
/// </summary>
internal sealed class RuleProgram
{
    /// <summary>Rules one program holds: one bit each of a <see cref="ulong"/>.</summary>
    public const int Capacity = 64;

    private readonly Func<IRuleAttributes, ulong, RuleValue[], ulong> _run;

    private RuleProgram(Func<IRuleAttributes, ulong, RuleValue[], ulong> run) => _run = run;

    /// <summary>One program per 64 of <paramref name="rules"/>, in their order.</summary>
    public static RuleProgram[] Compile(IReadOnlyList<CompiledRule> rules)
    {
        var programs = new RuleProgram[(rules.Count + Capacity - 1) / Capacity];
        for (var p = 0; p < programs.Length; p++)
        {
            programs[p] = Compile(rules.Skip(p * Capacity).Take(Capacity).ToList());
        }

        return programs;
    }

    /// <summary>
    /// Evaluates every rule whose bit in <paramref name="skip"/> is clear (a set bit: out of the request's
    /// route scope) and returns the bits of those that did not give <c>false</c>, their values at their
    /// indexes of <paramref name="values"/> (at least <see cref="Capacity"/> long).
    /// </summary>
    public ulong Run(IRuleAttributes input, ulong skip, RuleValue[] values) => _run(input, skip, values);

    /// <summary>Takes the lowest set bit out of <paramref name="bits"/> and returns its index (its rule's, in the program).</summary>
    public static int Next(ref ulong bits)
    {
        var index = BitOperations.TrailingZeroCount(bits);
        bits &= bits - 1;
        return index;
    }

    private static RuleProgram Compile(List<CompiledRule> rules)
    {
        var input = Expression.Parameter(typeof(IRuleAttributes), "input");
        var skip = Expression.Parameter(typeof(ulong), "skip");
        var values = Expression.Parameter(typeof(RuleValue[]), "values");
        var hits = Expression.Variable(typeof(ulong), "hits");
        var result = Expression.Variable(typeof(RuleValue), "result");
        var isFalse = typeof(CelRuntime).GetMethod(nameof(CelRuntime.IsFalse))!;
        var reads = new CelReads(input);
        var body = new List<Expression> { Expression.Assign(hits, Expression.Constant(0UL)) };
        for (var i = 0; i < rules.Count; i++)
        {
            var bit = Expression.Constant(1UL << i);
            // The condition's own method, written in place over this one's input and reads.
            var test = Expression.Block(
                Expression.Assign(result, reads.Rewrite(rules[i].Condition.Tree)),
                Expression.IfThen(Expression.Not(Expression.Call(isFalse, result)), Expression.Block(
                    Expression.OrAssign(hits, bit),
                    Expression.Assign(Expression.ArrayAccess(values, Expression.Constant(i)), result))));

            body.Add(Expression.IfThen(Expression.Equal(Expression.And(skip, bit), Expression.Constant(0UL)), test));
        }

        body.InsertRange(0, reads.Initialize());
        body.Add(hits);
        var program = Expression.Lambda<Func<IRuleAttributes, ulong, RuleValue[], ulong>>(
            Expression.Block(typeof(ulong), [hits, result, .. reads.Locals], body), $"rules: {string.Join(", ", rules.Select(r => r.Name))}", [input, skip, values]);
        var run = program.Compile();
        var scratch = new RuleValue[Capacity];
        CelRuntime.Warm(none => run(none, 0, scratch));
        return new RuleProgram(run);
    }
}
