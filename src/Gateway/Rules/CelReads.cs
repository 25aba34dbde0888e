using System.Linq.Expressions;
using System.Reflection;

namespace Gateway.Rules;

/// <summary>
/// Rewrites compiled conditions (<see cref="CompiledCondition.Tree"/>) over one method's input, with each attribute read (<see cref="CelRuntime.Read"/>,
/// <see cref="CelRuntime.Has"/>) answered from a local that its first read fills: a state (not read yet,
/// present, absent) and the value.
/// </summary>
internal sealed class CelReads(ParameterExpression input) : ExpressionVisitor
{
    private const int NotRead = 0;
    private const int Present = 1;
    private const int Absent = 2;

    private static readonly MethodInfo ReadMethod = typeof(CelRuntime).GetMethod(nameof(CelRuntime.Read))!;
    private static readonly MethodInfo HasMethod = typeof(CelRuntime).GetMethod(nameof(CelRuntime.Has))!;
    private static readonly MethodInfo TryGet =
        typeof(IRuleAttributes).GetMethod(nameof(IRuleAttributes.TryGet), [typeof(RuleAttribute), typeof(RuleValue).MakeByRefType()])!;

    private readonly Dictionary<RuleAttribute, (ParameterExpression State, ParameterExpression Value)> _locals = [];
    private ParameterExpression? _from;

    /// <summary>Sets every read's state to "not read yet": the first thing the method does.</summary>
    public IEnumerable<Expression> Initialize() => _locals.Values.Select(l => (Expression)Expression.Assign(l.State, Expression.Constant(NotRead)));

    /// <summary>The locals the rewritten conditions use, for the method's block.</summary>
    public IEnumerable<ParameterExpression> Locals => _locals.Values.SelectMany(l => new[] { l.State, l.Value });

    /// <summary>The body of <paramref name="condition"/> over the method's input and reads.</summary>
    public Expression Rewrite(Expression<Func<IRuleAttributes, RuleValue>> condition)
    {
        _from = condition.Parameters[0];
        return Visit(condition.Body);
    }

    protected override Expression VisitParameter(ParameterExpression node) => node == _from ? input : node;

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        if ((node.Method != ReadMethod && node.Method != HasMethod) || node.Arguments[1] is not ConstantExpression { Value: RuleAttribute attribute })
        {
            return base.VisitMethodCall(node);
        }

        if (!_locals.TryGetValue(attribute, out var local))
        {
            local = (Expression.Variable(typeof(int), $"{attribute.Name} read"), Expression.Variable(typeof(RuleValue), attribute.Name));
            _locals.Add(attribute, local);
        }

        var (state, value) = local;
        var present = Expression.Equal(state, Expression.Constant(Present));
        return Expression.Block(
            Expression.IfThen(Expression.Equal(state, Expression.Constant(NotRead)),
                Expression.Assign(state, Expression.Condition(
                    Expression.Call(input, TryGet, node.Arguments[1], value), Expression.Constant(Present), Expression.Constant(Absent)))),
            node.Method == HasMethod
                ? Expression.Call(typeof(RuleValue).GetMethod(nameof(RuleValue.Of), [typeof(bool)])!, present)
                : Expression.Condition(present, value, Expression.Call(typeof(RuleValue).GetMethod(nameof(RuleValue.Error))!, node.Arguments[2])));
    }
}
