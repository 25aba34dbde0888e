using System.Collections.Frozen;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.RegularExpressions;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using Cel;
using Cel.Internal;

namespace Gateway.Rules;

/// <summary>
/// Compiles a rule's CEL condition once per configuration. The text is parsed by the
/// <c>Cel</c> package (its ANTLR parser of cel-spec's grammar) and its literals are read by the
/// same package; the parse tree is then written as one method over <see cref="RuleValue"/>
/// (an expression tree, compiled by the runtime), because the package's own evaluator costs about
/// 3.9 µs and 5.8 KB per evaluation of one typical rule (a header test and a comparison, measured
/// with its 0.3.3) where the gateway's budget is 1 µs for ten rules; the compiled method takes tens
/// of nanoseconds and allocates nothing (docs/rules.md, bench/Gateway.Benchmarks/RuleBenchmarks.cs).
/// </summary>
/// <remarks>
/// The one variable is <c>attrs</c>, a map from attribute name to value. Its keys are string
/// constants (<c>attrs["http.request.header.user-agent"]</c>), so the attributes a condition
/// reads, and with them the moment it can be evaluated, are known at load. What the
/// compiler does not support (timestamps, bytes, unsigned integers, map literals, messages,
/// optional syntax) is refused with the reason, never evaluated differently. The operators'
/// meaning lives in <see cref="CelOperators"/> and <see cref="CelRuntime"/>; the method written
/// here only calls them, in the order CEL evaluates, with comprehension variables as its locals.
/// </remarks>
public static class CelCompiler
{
    /// <summary>The variable that holds the request's attributes.</summary>
    public const string AttributesVariable = "attrs";

    // Deepest nesting of comprehensions (exists, all, exists_one) a condition may have.
    private const int MaxNesting = 4;

    // A constant list longer than this is tested with a hash set rather than one comparison per element.
    private const int ListScanLimit = 8;

    // A regular expression from a configuration runs on hostile input: the non-backtracking
    // engine matches in time linear in the input (as RE2, which CEL specifies), and Kestrel
    // bounds the input. No time limit: its first matches build the automaton lazily, which
    // a busy machine could make look like a timeout. A plain alternation of literals, linear
    // on either engine, runs on the backtracking one (IsLiteralAlternation).

    private static readonly Lazy<CelEnvironment> Literals = new(() => new CelEnvironment(null, null));

    /// <summary>Compiles <paramref name="text"/>; throws <see cref="RuleCompileException"/> saying what is wrong.</summary>
    public static CompiledCondition Compile(string text)
    {
        var condition = CompileExpression(text, out var constant);
        if (constant is { Kind: not RuleValueKind.Bool } value)
        {
            throw new RuleCompileException($"the condition is the constant {value}, not a test of the request");
        }

        return condition;
    }

    /// <summary>Compiles any CEL expression, whatever its type (the conformance tests run constant expressions of every type).</summary>
    internal static CompiledCondition CompileExpression(string text, out RuleValue? constant)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new RuleCompileException("the condition is empty");
        }

        CelParser.StartContext parsed;
        try
        {
            parsed = Literals.Value.Parse(text);
        }
        catch (CelExpressionParserException e)
        {
            throw new RuleCompileException($"the condition does not parse as CEL: {OneLine(e.Message)}");
        }

        var scope = new Scope();
        var root = scope.Compile(parsed.e);
        constant = root.Constant;
        var method = Expression.Lambda<Func<IRuleAttributes, RuleValue>>(root.Node, $"condition: {text}", [scope.Input]);
        return new CompiledCondition(text, root.Constant, method, scope.Reads);
    }

    // Literals joined by | (with a leading (?i) at most), e.g. "(?i)sqlmap|nikto|masscan": no quantifier, class
    // or group, so the backtracking engine runs in time linear in the input too (it tries each literal at each
    // position), and finds the literals with a vectorized search where the non-backtracking engine costs about
    // 0.1 us per match over a User-Agent in the real process (its runner and DFA, cold). Anything else runs on
    // the non-backtracking engine.
    internal static bool IsLiteralAlternation(string pattern)
    {
        var text = pattern.StartsWith("(?i)", StringComparison.Ordinal) ? pattern.AsSpan(4) : pattern.AsSpan();
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '|' or ' ' or '-' or '_' or '/' or ':' or ';' or ',' or '=' or '@' or '!' or '%' or '&' or '\'' or '"' or '<' or '>' or '~'))
            {
                return false;
            }
        }

        return true;
    }

    private static string OneLine(string message) => string.Join(" ", message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>
    /// A compiled sub-expression: the expression that computes it (of type <see cref="RuleValue"/>), its
    /// value when it is a constant, and a mark when it is the attribute map itself.
    /// </summary>
    private readonly record struct Expr(Expression Node, RuleValue? Constant = null, bool IsAttributes = false)
    {
        public static Expr Of(RuleValue constant) => new(Emit(constant), constant);

        public string? ConstantString => Constant is { Kind: RuleValueKind.String } c ? c.String : null;
    }

    /// <summary>The compilation of one condition: its parameter, the comprehension variables in scope and the attributes read.</summary>
    private sealed class Scope
    {
        private readonly List<(string Name, ParameterExpression Variable)> _variables = [];

        public ParameterExpression Input { get; } = Expression.Parameter(typeof(IRuleAttributes), "input");

        public List<RuleAttribute> Reads { get; } = [];

        public Expr Compile(IParseTree node) => node switch
        {
            CelParser.ExprContext e when e.op is null => Compile(e.e),
            CelParser.ExprContext e => Conditional(Compile(e.e), Compile(e.e1), Compile(e.e2)),
            CelParser.ConditionalOrContext e => Logical(e.e, [.. e._e1], or: true),
            CelParser.ConditionalAndContext e => Logical(e.e, [.. e._e1], or: false),
            CelParser.RelationContext e when e.op is null => Compile(e.calc()),
            CelParser.RelationContext e => Relation(e.relation(0), e.op.Text, e.relation(1)),
            CelParser.CalcContext e when e.op is null => Compile(e.unary()),
            CelParser.CalcContext e => Arithmetic(Compile(e.calc(0)), e.op.Text, Compile(e.calc(1))),
            CelParser.MemberExprContext e => Compile(e.member()),
            CelParser.LogicalNotContext e => Repeat(Value(Compile(e.member()), null), Method(nameof(CelOperators.Not)), e._ops.Count),
            CelParser.NegateContext e => Repeat(Value(Compile(e.member()), e), Method(nameof(CelOperators.Negate)), e._ops.Count),
            CelParser.PrimaryExprContext e => Compile(e.primary()),
            CelParser.SelectContext e => Select(e),
            CelParser.IndexContext e => Index(e),
            CelParser.MemberCallContext e => Call(e.id.Text, Compile(e.member()), e.args?._e ?? [], e),
            CelParser.IdentOrGlobalCallContext e => Identifier(e),
            CelParser.NestedContext e => Compile(e.e),
            CelParser.CreateListContext e => List(e),
            CelParser.ConstantLiteralContext e => Literal(e.literal()),
            CelParser.CreateStructContext => throw Unsupported("map literals", "compare with a list, e.g. attrs[\"tls.client.ja4\"] in [\"t13d...\"]"),
            CelParser.CreateMessageContext => throw Unsupported("message construction", "conditions read attributes only"),
            _ => throw Unsupported($"the construct \"{node.GetText()}\"", "see docs/rules.md for what conditions may use"),
        };

        private Expr Conditional(Expr condition, Expr whenTrue, Expr whenFalse)
        {
            var c = Expression.Variable(typeof(RuleValue), "condition");
            var node = Expression.Block(typeof(RuleValue), [c],
                Expression.Assign(c, Value(condition, null).Node),
                Expression.Condition(IsBool(c),
                    Expression.Condition(Expression.Property(c, nameof(RuleValue.Bool)), Value(whenTrue, null).Node, Value(whenFalse, null).Node),
                    Expression.Call(Runtime(nameof(CelRuntime.NotACondition)), c)));
            return Folded(node, condition, whenTrue, whenFalse);
        }

        // The right operand is evaluated only when the left does not decide; CelRuntime.Logical has CEL's rules about errors.
        private Expr Logical(IParseTree first, IReadOnlyList<IParseTree> rest, bool or)
        {
            var result = Compile(first);
            foreach (var operand in rest)
            {
                var right = Value(Compile(operand), operand);
                var (a, b) = (Expression.Variable(typeof(RuleValue), "a"), Expression.Variable(typeof(RuleValue), "b"));
                var node = Expression.Block(typeof(RuleValue), [a, b],
                    Expression.Assign(a, Value(result, first).Node),
                    Expression.Condition(Expression.Call(Runtime(nameof(CelRuntime.Decides)), a, Expression.Constant(or)),
                        a,
                        Expression.Block(
                            Expression.Assign(b, right.Node),
                            Expression.Call(Runtime(nameof(CelRuntime.Logical)), a, b, Expression.Constant(or)))));
                result = Folded(node, result, right);
            }

            return result;
        }

        private Expr Relation(IParseTree leftTree, string op, IParseTree rightTree)
        {
            var left = Compile(leftTree);
            var right = Compile(rightTree);
            if (op == "in" && right.IsAttributes)
            {
                var name = left.ConstantString
                    ?? throw new RuleCompileException($"\"{leftTree.GetText()} in {AttributesVariable}\": the attribute name must be a string constant, e.g. \"tls.client.ja4\" in attrs");
                return Presence(name);
            }

            var (l, r) = (Value(left, leftTree), Value(right, rightTree));
            if (op == "in" && l.Constant is null && StringsOf(r.Constant) is { } strings)
            {
                // A constant list of strings (a deny list): tested without reading it as values.
                return new(strings.Length <= ListScanLimit
                    ? Expression.Call(Runtime(nameof(CelRuntime.InStrings)), l.Node, Expression.Constant(strings))
                    : Expression.Call(Runtime(nameof(CelRuntime.InStringSet)), l.Node, Expression.Constant(strings.ToFrozenSet(StringComparer.Ordinal))));
            }

            return Binary(l, r, op switch
            {
                "==" => nameof(CelOperators.Equal),
                "!=" => nameof(CelOperators.NotEqual),
                "in" => nameof(CelOperators.In),
                "<" => nameof(CelOperators.Less),
                "<=" => nameof(CelOperators.LessOrEqual),
                ">" => nameof(CelOperators.Greater),
                _ => nameof(CelOperators.GreaterOrEqual),
            });
        }

        private static string[]? StringsOf(RuleValue? list)
        {
            if (list is not { Kind: RuleValueKind.List } items)
            {
                return null;
            }

            var strings = new string[items.Count];
            for (var i = 0; i < strings.Length; i++)
            {
                if (items.ElementAt(i) is not { Kind: RuleValueKind.String } item)
                {
                    return null;
                }

                strings[i] = item.String;
            }

            return strings;
        }

        private static Expr Arithmetic(Expr left, string op, Expr right) =>
            Folded(Expression.Call(Method(nameof(CelOperators.Arithmetic)), Value(left, null).Node, Value(right, null).Node, Expression.Constant(op)), left, right);

        private static Expr Binary(Expr left, Expr right, string method) => Binary(left, right, Method(method));

        private static Expr Binary(Expr left, Expr right, MethodInfo method) =>
            Folded(Expression.Call(method, left.Node, right.Node), left, right);

        private static Expr Unary(Expr operand, MethodInfo method, params Expression[] more) =>
            Folded(Expression.Call(method, [operand.Node, .. more]), operand);

        private static Expr Repeat(Expr operand, MethodInfo method, int times)
        {
            var result = operand;
            for (var i = 0; i < times; i++)
            {
                result = Unary(result, method);
            }

            return result;
        }

        private Expr Select(CelParser.SelectContext e)
        {
            if (e.opt is not null)
            {
                throw Unsupported("optional field selection (.?)", "test presence with \"name\" in attrs");
            }

            var target = Compile(e.member());
            if (!target.IsAttributes)
            {
                throw Unsupported($"field selection \"{e.GetText()}\"", "values have no fields; read attributes as attrs[\"name\"]");
            }

            return Attribute(e.id.Text);
        }

        private Expr Index(CelParser.IndexContext e)
        {
            if (e.opt is not null)
            {
                throw Unsupported("optional indexing ([?])", "test presence with \"name\" in attrs");
            }

            var target = Compile(e.member());
            var index = Compile(e.index);
            if (target.IsAttributes)
            {
                return Attribute(index.ConstantString
                    ?? throw new RuleCompileException($"\"{e.GetText()}\": the attribute name must be a string constant, e.g. attrs[\"wire.ip.ttl\"]"));
            }

            return Binary(Value(target, e.member()), Value(index, e.index), Runtime(nameof(CelRuntime.Index)));
        }

        private Expr Identifier(CelParser.IdentOrGlobalCallContext e)
        {
            var name = e.id.Text;
            if (e.op is not null)
            {
                return GlobalCall(name, e.args?._e ?? [], e);
            }

            if (e.leadingDot is null)
            {
                for (var i = _variables.Count - 1; i >= 0; i--)
                {
                    if (_variables[i].Name == name)
                    {
                        return new(_variables[i].Variable);
                    }
                }
            }

            if (name == AttributesVariable)
            {
                return new(Emit(RuleValue.Error("attrs is not a value")), IsAttributes: true);
            }

            throw new RuleCompileException($"unknown identifier \"{name}\": conditions read the request through {AttributesVariable}, e.g. {AttributesVariable}[\"{name}\"]");
        }

        private Expr GlobalCall(string name, IList<CelParser.ExprContext> args, ParserRuleContext at)
        {
            switch (name, args.Count)
            {
                case ("has", 1) when args[0] is { } arg && Unwrap(arg) is CelParser.SelectContext select:
                    if (!Compile(select.member()).IsAttributes)
                    {
                        throw Unsupported($"has() on \"{select.member().GetText()}\"", "use has(attrs.name) or \"name\" in attrs");
                    }

                    return Presence(select.id.Text);
                case ("size", 1):
                    return Unary(Value(Compile(args[0]), args[0]), Method(nameof(CelOperators.Size)));
                case ("int" or "double" or "string" or "bool", 1):
                    return Unary(Value(Compile(args[0]), args[0]), Method(nameof(CelOperators.Convert)), Expression.Constant(name));
                case ("dyn", 1):
                    return Value(Compile(args[0]), args[0]);
                case ("matches", 2):
                    return Matches(Value(Compile(args[0]), args[0]), Compile(args[1]), at);
                default:
                    throw Unsupported($"the function {name}() with {args.Count} argument(s)", Supported);
            }
        }

        private Expr Call(string name, Expr receiver, IList<CelParser.ExprContext> args, CelParser.MemberCallContext at)
        {
            switch (name, args.Count)
            {
                case ("exists" or "all" or "exists_one", 2):
                    return Comprehension(name, Value(receiver, at.member()), args[0], args[1]);
                case ("contains", 1):
                    return Binary(Value(receiver, at.member()), Value(Compile(args[0]), args[0]), nameof(CelOperators.Contains));
                case ("startsWith", 1):
                    return Binary(Value(receiver, at.member()), Value(Compile(args[0]), args[0]), nameof(CelOperators.StartsWith));
                case ("endsWith", 1):
                    return Binary(Value(receiver, at.member()), Value(Compile(args[0]), args[0]), nameof(CelOperators.EndsWith));
                case ("matches", 1):
                    return Matches(Value(receiver, at.member()), Compile(args[0]), at);
                case ("size", 0):
                    return Unary(Value(receiver, at.member()), Method(nameof(CelOperators.Size)));
                case ("lowerAscii" or "upperAscii", 0):
                    return Unary(Value(receiver, at.member()), Method(nameof(CelOperators.ChangeAsciiCase)), Expression.Constant(name == "upperAscii"));
                default:
                    throw Unsupported($"the method .{name}() with {args.Count} argument(s)", Supported);
            }
        }

        // exists: true if any element is true; all: false if any element is false. Either way the errors of
        // other elements are absorbed, else the first error, else the other boolean. exists_one: true if exactly
        // one element is true; an error or a non-bool ends it.
        private Expr Comprehension(string macro, Expr range, CelParser.ExprContext variableTree, CelParser.ExprContext predicate)
        {
            if (Unwrap(variableTree) is not CelParser.IdentOrGlobalCallContext { op: null, leadingDot: null } identifier)
            {
                throw new RuleCompileException($"{macro}(): the first argument must be a variable name, e.g. {macro}(v, v.contains(\"x\"))");
            }

            if (_variables.Count == MaxNesting)
            {
                throw new RuleCompileException($"{macro}(): comprehensions nest at most {MaxNesting} deep");
            }

            var variable = Expression.Variable(typeof(RuleValue), identifier.id.Text);
            _variables.Add((identifier.id.Text, variable));
            var test = Compile(predicate);
            _variables.RemoveAt(_variables.Count - 1);

            var items = Expression.Variable(typeof(RuleValue), "items");
            var index = Expression.Variable(typeof(int), "i");
            var result = Expression.Variable(typeof(RuleValue), "result");
            var end = Expression.Label(typeof(RuleValue), "end");
            Expression step, finish;
            ParameterExpression[] locals;
            if (macro == "exists_one")
            {
                var count = Expression.Variable(typeof(int), "count");
                locals = [items, index, result, variable, count];
                step = Expression.IfThenElse(IsBool(result),
                    Expression.IfThen(Expression.Property(result, nameof(RuleValue.Bool)), Expression.PreIncrementAssign(count)),
                    Expression.Break(end, Expression.Call(Runtime(nameof(CelRuntime.NotABool)), result, Expression.Constant("exists_one() predicate is not a bool"))));
                finish = Expression.Call(OfBool, Expression.Equal(count, Expression.Constant(1)));
            }
            else
            {
                var decidedBy = macro == "exists";
                var firstError = Expression.Variable(typeof(RuleValue), "firstError");
                var failed = Expression.Variable(typeof(bool), "failed");
                locals = [items, index, result, variable, firstError, failed];
                step = Expression.IfThenElse(IsBool(result),
                    Expression.IfThen(Expression.Equal(Expression.Property(result, nameof(RuleValue.Bool)), Expression.Constant(decidedBy)),
                        Expression.Break(end, Emit(RuleValue.Of(decidedBy)))),
                    Expression.IfThen(Expression.Not(failed), Expression.Block(
                        Expression.Assign(failed, Expression.Constant(true)),
                        Expression.Assign(firstError, Expression.Call(Runtime(nameof(CelRuntime.NotABool)), result, Expression.Constant($"{macro}() predicate is not a bool"))))));
                finish = Expression.Condition(failed, firstError, Emit(RuleValue.Of(!decidedBy)));
            }

            var node = Expression.Block(typeof(RuleValue), locals,
                Expression.Assign(items, range.Node),
                Expression.Condition(Expression.Call(Runtime(nameof(CelRuntime.IsList)), items),
                    Expression.Block(typeof(RuleValue),
                        Expression.Assign(index, Expression.Constant(0)),
                        Expression.Loop(Expression.Block(
                            Expression.IfThen(Expression.GreaterThanOrEqual(index, Expression.Property(items, nameof(RuleValue.Count))), Expression.Break(end, finish)),
                            Expression.Assign(variable, Expression.Call(items, typeof(RuleValue).GetMethod(nameof(RuleValue.ElementAt))!, index)),
                            Expression.Assign(result, Value(test, predicate).Node),
                            step,
                            Expression.PreIncrementAssign(index)), end)),
                    Expression.Call(Runtime(nameof(CelRuntime.NotAList)), items)));
            return Folded(node, range);
        }

        private static Expr Matches(Expr text, Expr pattern, ParserRuleContext at)
        {
            var source = pattern.ConstantString
                ?? throw new RuleCompileException($"\"{at.GetText()}\": the regular expression must be a string constant");
            Regex regex;
            try
            {
                regex = new Regex(source, (IsLiteralAlternation(source) ? RegexOptions.Compiled : RegexOptions.NonBacktracking) | RegexOptions.CultureInvariant);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                throw new RuleCompileException($"the regular expression \"{source}\" is not valid here: {e.Message} (RE2 syntax: no backreferences or lookarounds)");
            }

            // Its first match compiles the compiled engine's methods (~0.4 ms), which a match of one of its literals
            // runs all of: now, at the reload, rather than at the first request that reaches it.
            regex.IsMatch(IsLiteralAlternation(source) ? source.Split('|')[0].Replace("(?i)", "", StringComparison.Ordinal) : string.Empty);
            return Unary(text, Runtime(nameof(CelRuntime.Matches)), Expression.Constant(regex));
        }

        private Expr List(CelParser.CreateListContext e)
        {
            var elements = e.elems?._elems ?? [];
            var compiled = new Expr[elements.Count];
            for (var i = 0; i < elements.Count; i++)
            {
                if (elements[i].opt is not null)
                {
                    throw Unsupported("optional list elements (?x)", "list the values plainly");
                }

                compiled[i] = Value(Compile(elements[i].e), elements[i].e);
            }

            if (compiled.All(c => c.Constant is not null))
            {
                return Expr.Of(RuleValue.OfList([.. compiled.Select(c => c.Constant!.Value)]));
            }

            return new(Expression.Call(typeof(RuleValue).GetMethod(nameof(RuleValue.OfList))!,
                Expression.NewArrayInit(typeof(RuleValue), compiled.Select(c => c.Node))));
        }

        private static Expr Literal(CelParser.LiteralContext literal)
        {
            // The package reads the literal (escapes, raw and triple-quoted strings, hex, exponents) as CEL defines it.
            object? value;
            try
            {
                value = Literals.Value.Compile(literal.GetText()).Invoke(new Dictionary<string, object?>());
            }
            catch (CelException e)
            {
                throw new RuleCompileException($"the literal {literal.GetText()} is not valid: {OneLine(e.Message)}");
            }

            return Expr.Of(value switch
            {
                null => RuleValue.Null,
                bool b => RuleValue.Of(b),
                long l => RuleValue.Of(l),
                double d => RuleValue.Of(d),
                string s => RuleValue.Of(s),
                ulong => throw Unsupported("unsigned integers (1u)", "write the number without the u"),
                _ => throw Unsupported($"the literal {literal.GetText()} ({value.GetType().Name})", "use strings, numbers, booleans or null"),
            });
        }

        private Expr Attribute(string name) =>
            // One instance per name: the request's view resolves it to an accessor once, and keys what it has read by it.
            new(Expression.Call(Runtime(nameof(CelRuntime.Read)), Input, Expression.Constant(Read(name)), Expression.Constant($"no such key: {name}")));

        private Expr Presence(string name) =>
            new(Expression.Call(Runtime(nameof(CelRuntime.Has)), Input, Expression.Constant(Read(name))));

        private RuleAttribute Read(string name)
        {
            var attribute = RuleAttribute.Of(name);
            if (!Reads.Contains(attribute))
            {
                Reads.Add(attribute);
            }

            return attribute;
        }

        // A sub-expression whose operands are all constants is one too: computed now, once.
        private static Expr Folded(Expression node, params Expr[] operands)
        {
            if (operands.Any(o => o.Constant is null))
            {
                return new(node);
            }

            var value = Expression.Lambda<Func<RuleValue>>(node).Compile(preferInterpretation: true)();
            return Expr.Of(value);
        }

        // The attribute map is not a value of its own: it is only indexed, selected or tested with "in".
        private static Expr Value(Expr expr, IParseTree? at) => expr.IsAttributes
            ? throw new RuleCompileException($"{AttributesVariable} is used as a value{(at is null ? "" : $" in \"{at.GetText()}\"")}: read one attribute with {AttributesVariable}[\"name\"], test presence with \"name\" in {AttributesVariable}")
            : expr;

        private static IParseTree Unwrap(CelParser.ExprContext e) =>
            e is { op: null, e: { _e1.Count: 0, e: { _e1.Count: 0, e: { op: null } relation } } }
                ? relation.calc() is { op: null } calc && calc.unary() is CelParser.MemberExprContext m
                    ? m.member() is CelParser.PrimaryExprContext p ? p.primary() : m.member()
                    : relation
                : e;

        private const string Supported = "conditions may use size, contains, startsWith, endsWith, matches, lowerAscii, upperAscii, int, double, string, bool, dyn, has, exists, all, exists_one (docs/rules.md)";

        private static RuleCompileException Unsupported(string what, string fix) => new($"{what} is not supported in rules; {fix}");
    }

    private static readonly MethodInfo OfBool = typeof(RuleValue).GetMethod(nameof(RuleValue.Of), [typeof(bool)])!;

    private static Expression IsBool(Expression value) =>
        Expression.Equal(Expression.Property(value, nameof(RuleValue.Kind)), Expression.Constant(RuleValueKind.Bool));

    private static MethodInfo Method(string name) =>
        typeof(CelOperators).GetMethod(name, BindingFlags.Public | BindingFlags.Static) ?? throw new MissingMethodException(nameof(CelOperators), name);

    private static MethodInfo Runtime(string name) =>
        typeof(CelRuntime).GetMethod(name, BindingFlags.Public | BindingFlags.Static) ?? throw new MissingMethodException(nameof(CelRuntime), name);

    // A constant written into the method: numbers, strings and booleans as literals, a list held by its closure.
    private static Expression Emit(RuleValue value) => value.Kind switch
    {
        RuleValueKind.Null => Expression.Default(typeof(RuleValue)),
        RuleValueKind.Bool => Expression.Call(OfBool, Expression.Constant(value.Bool)),
        RuleValueKind.Int => Expression.Call(typeof(RuleValue).GetMethod(nameof(RuleValue.Of), [typeof(long)])!, Expression.Constant(value.Int)),
        RuleValueKind.Double => Expression.Call(typeof(RuleValue).GetMethod(nameof(RuleValue.Of), [typeof(double)])!, Expression.Constant(value.Double)),
        RuleValueKind.String => Expression.Call(typeof(RuleValue).GetMethod(nameof(RuleValue.Of), [typeof(string)])!, Expression.Constant(value.String)),
        RuleValueKind.Error => Expression.Call(typeof(RuleValue).GetMethod(nameof(RuleValue.Error))!, Expression.Constant(value.ErrorMessage)),
        _ => Expression.Constant(value, typeof(RuleValue)),
    };
}
