using System.Text.RegularExpressions;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using Cel;
using Cel.Internal;

namespace Gateway.Rules;

/// <summary>
/// Compiles a rule's CEL condition once per configuration. The text is parsed by the
/// <c>Cel</c> package (its ANTLR parser of cel-spec's grammar) and its literals are read by the
/// same package; the parse tree is then turned into a tree of delegates over
/// <see cref="RuleValue"/>, because the package's own evaluator costs about 3.9 µs and 5.8 KB
/// per evaluation of one typical rule (a header test and a comparison, measured with its 0.3.3)
/// where the gateway's budget is 1 µs for ten rules; the delegates take tens of nanoseconds
/// and allocate nothing (docs/rules.md, bench/Gateway.Benchmarks/RuleBenchmarks.cs).
/// </summary>
/// <remarks>
/// The one variable is <c>attrs</c>, a map from attribute name to value. Its keys are string
/// constants (<c>attrs["http.request.header.user-agent"]</c>), so the attributes a condition
/// reads, and with them the moment it can be evaluated, are known at load. What the
/// compiler does not support (timestamps, bytes, unsigned integers, map literals, messages,
/// optional syntax) is refused with the reason, never evaluated differently.
/// </remarks>
public static class CelCompiler
{
    /// <summary>The variable that holds the request's attributes.</summary>
    public const string AttributesVariable = "attrs";

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

        CelParser.StartContext tree;
        try
        {
            tree = Literals.Value.Parse(text);
        }
        catch (CelExpressionParserException e)
        {
            throw new RuleCompileException($"the condition does not parse as CEL: {OneLine(e.Message)}");
        }

        var scope = new Scope();
        var root = scope.Compile(tree.e);
        constant = root.Constant;
        return new CompiledCondition(text, root.Node, scope.Reads);
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

    /// <summary>A compiled sub-expression, with its value when it is a constant and a mark when it is the attribute map itself.</summary>
    private readonly record struct Expr(CelNode Node, RuleValue? Constant = null, bool IsAttributes = false, RuleAttribute? Read = null, RuleValue Missing = default,
        int Slot = -1)
    {
        public static Expr Of(RuleValue constant) => new((IRuleAttributes _, ref CelFrame _) => constant, constant);

        public string? ConstantString => Constant is { Kind: RuleValueKind.String } c ? c.String : null;
    }

    /// <summary>The compilation of one condition: comprehension variables in scope and the attributes read.</summary>
    private sealed class Scope
    {
        private readonly List<string> _variables = [];

        public List<RuleAttribute> Reads { get; } = [];

        public Expr Compile(IParseTree node) => node switch
        {
            CelParser.ExprContext e when e.op is null => Compile(e.e),
            CelParser.ExprContext e => Conditional(Compile(e.e), Compile(e.e1), Compile(e.e2)),
            CelParser.ConditionalOrContext e => Logical(e.e, e._e1, or: true),
            CelParser.ConditionalAndContext e => Logical(e.e, e._e1, or: false),
            CelParser.RelationContext e when e.op is null => Compile(e.calc()),
            CelParser.RelationContext e => Relation(e.relation(0), e.op.Text, e.relation(1)),
            CelParser.CalcContext e when e.op is null => Compile(e.unary()),
            CelParser.CalcContext e => Arithmetic(Compile(e.calc(0)), e.op.Text, Compile(e.calc(1))),
            CelParser.MemberExprContext e => Compile(e.member()),
            CelParser.LogicalNotContext e => Repeat(Compile(e.member()), e._ops.Count),
            CelParser.NegateContext e => Negate(e),
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

        private static Expr Conditional(Expr condition, Expr whenTrue, Expr whenFalse)
        {
            var (c, t, f) = (condition.Node, whenTrue.Node, whenFalse.Node);
            return new((IRuleAttributes input, ref CelFrame frame) =>
            {
                var value = c(input, ref frame);
                return value.Kind switch
                {
                    RuleValueKind.Bool => value.Bool ? t(input, ref frame) : f(input, ref frame),
                    RuleValueKind.Error => value,
                    _ => RuleValue.Error($"no such overload: {CelOperators.Describe(value)} ? _ : _"),
                };
            });
        }

        // CEL's && and || are commutative over errors: false && error is false, error && false
        // too; an error only comes out when no operand decides.
        private Expr Logical(IParseTree first, IList<CelParser.ConditionalAndContext> rest, bool or) =>
            Logical(first, rest.Cast<IParseTree>().ToList(), or);

        private Expr Logical(IParseTree first, IList<CelParser.RelationContext> rest, bool or) =>
            Logical(first, rest.Cast<IParseTree>().ToList(), or);

        private Expr Logical(IParseTree first, List<IParseTree> rest, bool or)
        {
            var result = Compile(first);
            foreach (var operand in rest)
            {
                var (left, right) = (result.Node, Compile(operand).Node);
                result = new((IRuleAttributes input, ref CelFrame frame) =>
                {
                    var a = left(input, ref frame);
                    if (a.Kind == RuleValueKind.Bool && a.Bool == or)
                    {
                        return a;
                    }

                    var b = right(input, ref frame);
                    if (b.Kind == RuleValueKind.Bool && b.Bool == or)
                    {
                        return b;
                    }

                    if (a.IsError)
                    {
                        return a;
                    }

                    if (b.IsError)
                    {
                        return b;
                    }

                    return a.Kind == RuleValueKind.Bool && b.Kind == RuleValueKind.Bool
                        ? RuleValue.Of(!or)
                        : RuleValue.Error($"no such overload: {CelOperators.Describe(a)} {(or ? "||" : "&&")} {CelOperators.Describe(b)}");
                });
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
            return op switch
            {
                "==" => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.Equal(a, b)),
                "!=" => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.NotEqual(a, b)),
                "in" => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.In(a, b)),
                "<" => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.Order(a, b, "<")),
                "<=" => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.Order(a, b, "<=")),
                ">" => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.Order(a, b, ">")),
                _ => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.Order(a, b, ">=")),
            };
        }

        private Expr Arithmetic(Expr left, string op, Expr right)
        {
            var (l, r) = (Value(left, null), Value(right, null));
            return op switch
            {
                "+" => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.Arithmetic(a, b, "+")),
                "-" => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.Arithmetic(a, b, "-")),
                "*" => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.Arithmetic(a, b, "*")),
                "/" => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.Arithmetic(a, b, "/")),
                _ => Binary(l, r, static (in RuleValue a, in RuleValue b) => CelOperators.Arithmetic(a, b, "%")),
            };
        }

        private static Expr Binary(Expr left, Expr right, BinaryOperator op)
        {
            if (left.Constant is { } a && right.Constant is { } b)
            {
                return Expr.Of(op(a, b));
            }

            // A constant operand (attrs["wire.tcp.mss"] < 536) is passed as it is, not called: one call less per evaluation.
            if (right.Constant is { } constantRight)
            {
                // And an attribute read against a constant (the commonest test) reads in place.
                if (left.Read is { } attribute)
                {
                    var missing = left.Missing;
                    return new((IRuleAttributes input, ref CelFrame _) => op(input.TryGet(attribute, out var value) ? value : missing, constantRight));
                }

                // A comprehension's variable too (v.contains("x") in exists()): read from its slot in place.
                if (left.Slot >= 0)
                {
                    var slot = left.Slot;
                    return new((IRuleAttributes _, ref CelFrame frame) => op(frame[slot], constantRight));
                }

                var node = left.Node;
                return new((IRuleAttributes input, ref CelFrame frame) => op(node(input, ref frame), constantRight));
            }

            if (left.Constant is { } constantLeft)
            {
                var node = right.Node;
                return new((IRuleAttributes input, ref CelFrame frame) => op(constantLeft, node(input, ref frame)));
            }

            var (l, r) = (left.Node, right.Node);
            return new((IRuleAttributes input, ref CelFrame frame) => op(l(input, ref frame), r(input, ref frame)));
        }

        private static Expr Unary(Expr operand, UnaryOperator op)
        {
            if (operand.Constant is { } a)
            {
                return Expr.Of(op(a));
            }

            if (operand.Read is { } attribute)
            {
                var missing = operand.Missing;
                return new((IRuleAttributes input, ref CelFrame _) => op(input.TryGet(attribute, out var value) ? value : missing));
            }

            if (operand.Slot >= 0)
            {
                var slot = operand.Slot;
                return new((IRuleAttributes _, ref CelFrame frame) => op(frame[slot]));
            }

            var node = operand.Node;
            return new((IRuleAttributes input, ref CelFrame frame) => op(node(input, ref frame)));
        }

        private static Expr Repeat(Expr operand, int times)
        {
            var result = Value(operand, null);
            for (var i = 0; i < times; i++)
            {
                result = Unary(result, static (in RuleValue v) => CelOperators.Not(v));
            }

            return result;
        }

        private Expr Negate(CelParser.NegateContext e)
        {
            var result = Value(Compile(e.member()), e);
            for (var i = 0; i < e._ops.Count; i++)
            {
                result = Unary(result, static (in RuleValue v) => CelOperators.Negate(v));
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

            return Binary(Value(target, e.member()), Value(index, e.index), static (in RuleValue list, in RuleValue i) =>
            {
                if (list.IsError)
                {
                    return list;
                }

                if (i.IsError)
                {
                    return i;
                }

                if (list.Kind is not (RuleValueKind.List or RuleValueKind.StringList))
                {
                    return RuleValue.Error($"no such overload: {CelOperators.Describe(list)}[{CelOperators.Describe(i)}]");
                }

                long position;
                if (i.Kind == RuleValueKind.Int)
                {
                    position = i.Int;
                }
                else if (i.Kind == RuleValueKind.Double && i.Double == Math.Floor(i.Double))
                {
                    position = (long)i.Double;
                }
                else
                {
                    return RuleValue.Error($"no such overload: list[{CelOperators.Describe(i)}]");
                }

                return position >= 0 && position < list.Count ? list.ElementAt((int)position) : RuleValue.Error($"index out of bounds: {position}");
            });
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
                var slot = _variables.LastIndexOf(name);
                if (slot >= 0)
                {
                    return new((IRuleAttributes _, ref CelFrame frame) => frame[slot], Slot: slot);
                }
            }

            if (name == AttributesVariable)
            {
                return new((IRuleAttributes _, ref CelFrame _) => RuleValue.Error("attrs is not a value"), IsAttributes: true);
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
                    return Unary(Value(Compile(args[0]), args[0]), static (in RuleValue v) => CelOperators.Size(v));
                case ("int" or "double" or "string" or "bool", 1):
                    var type = name;
                    return Unary(Value(Compile(args[0]), args[0]), (in RuleValue v) => CelOperators.Convert(v, type));
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
                case ("contains" or "startsWith" or "endsWith", 1):
                    var function = name;
                    return Binary(Value(receiver, at.member()), Value(Compile(args[0]), args[0]),
                        (in RuleValue s, in RuleValue arg) => CelOperators.StringTest(s, arg, function));
                case ("matches", 1):
                    return Matches(Value(receiver, at.member()), Compile(args[0]), at);
                case ("size", 0):
                    return Unary(Value(receiver, at.member()), static (in RuleValue v) => CelOperators.Size(v));
                case ("lowerAscii", 0):
                    return Unary(Value(receiver, at.member()), static (in RuleValue v) => CelOperators.ChangeAsciiCase(v, upper: false));
                case ("upperAscii", 0):
                    return Unary(Value(receiver, at.member()), static (in RuleValue v) => CelOperators.ChangeAsciiCase(v, upper: true));
                default:
                    throw Unsupported($"the method .{name}() with {args.Count} argument(s)", Supported);
            }
        }

        private Expr Comprehension(string macro, Expr range, CelParser.ExprContext variable, CelParser.ExprContext predicate)
        {
            if (Unwrap(variable) is not CelParser.IdentOrGlobalCallContext { op: null, leadingDot: null } identifier)
            {
                throw new RuleCompileException($"{macro}(): the first argument must be a variable name, e.g. {macro}(v, v.contains(\"x\"))");
            }

            if (_variables.Count == CelFrame.MaxDepth)
            {
                throw new RuleCompileException($"{macro}(): comprehensions nest at most {CelFrame.MaxDepth} deep");
            }

            var slot = _variables.Count;
            _variables.Add(identifier.id.Text);
            var test = Compile(predicate).Node;
            _variables.RemoveAt(slot);
            var list = range.Node;
            return macro switch
            {
                // exists: true if any element is true; all: false if any element is false. Either way the
                // errors of other elements are absorbed, else the first error, else the other boolean.
                "exists" => Quantifier(range, test, slot, decidedBy: true, "exists() predicate is not a bool"),
                "all" => Quantifier(range, test, slot, decidedBy: false, "all() predicate is not a bool"),
                _ => new((IRuleAttributes input, ref CelFrame frame) =>
                {
                    var items = list(input, ref frame);
                    if (!IsList(items, out var error))
                    {
                        return error;
                    }

                    var count = 0;
                    for (var i = 0; i < items.Count; i++)
                    {
                        frame[slot] = items.ElementAt(i);
                        var result = test(input, ref frame);
                        if (result.Kind != RuleValueKind.Bool)
                        {
                            return result.IsError ? result : RuleValue.Error("exists_one() predicate is not a bool");
                        }

                        count += result.Bool ? 1 : 0;
                    }

                    return RuleValue.Of(count == 1);
                }),
            };
        }

        // exists() and all(): the first element whose predicate is `decidedBy` decides the answer.
        private static Expr Quantifier(Expr range, CelNode test, int slot, bool decidedBy, string notBool)
        {
            // Over an attribute (attrs["http.request.header.user-agent"].exists(...), the common shape): read in place.
            if (range.Read is { } attribute)
            {
                var missing = range.Missing;
                return new((IRuleAttributes input, ref CelFrame frame) =>
                    Quantify(input.TryGet(attribute, out var value) ? value : missing, input, ref frame, test, slot, decidedBy, notBool));
            }

            var list = range.Node;
            return new((IRuleAttributes input, ref CelFrame frame) => Quantify(list(input, ref frame), input, ref frame, test, slot, decidedBy, notBool));
        }

        private static RuleValue Quantify(in RuleValue items, IRuleAttributes input, ref CelFrame frame, CelNode test, int slot, bool decidedBy, string notBool)
        {
            if (!IsList(items, out var error))
            {
                return error;
            }

            RuleValue? firstError = null;
            for (var i = 0; i < items.Count; i++)
            {
                frame[slot] = items.ElementAt(i);
                var result = test(input, ref frame);
                if (result.Kind == RuleValueKind.Bool)
                {
                    if (result.Bool == decidedBy)
                    {
                        return RuleValue.Of(decidedBy);
                    }
                }
                else
                {
                    firstError ??= result.IsError ? result : RuleValue.Error(notBool);
                }
            }

            return firstError ?? RuleValue.Of(!decidedBy);
        }

        private static bool IsList(in RuleValue items, out RuleValue error)
        {
            if (items.Kind is RuleValueKind.List or RuleValueKind.StringList)
            {
                // The message is made only when it is one: made eagerly it cost each exists()/all() a string.
                error = default;
                return true;
            }

            error = items.IsError ? items : RuleValue.Error($"no such overload: {CelOperators.Describe(items)}.exists()");
            return false;
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

            return Unary(text, (in RuleValue s) =>
            {
                if (s.IsError)
                {
                    return s;
                }

                if (s.Kind != RuleValueKind.String)
                {
                    return RuleValue.Error($"no such overload: {CelOperators.Describe(s)}.matches(string)");
                }

                return RuleValue.Of(regex.IsMatch(s.String));
            });
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

            var nodes = compiled.Select(c => c.Node).ToArray();
            return new((IRuleAttributes input, ref CelFrame frame) =>
            {
                var items = new RuleValue[nodes.Length];
                for (var i = 0; i < nodes.Length; i++)
                {
                    items[i] = nodes[i](input, ref frame);
                }

                return RuleValue.OfList(items);
            });
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

        private Expr Attribute(string name)
        {
            // One instance per name: the request's view resolves it to an accessor once, and keys what it has read by it.
            var attribute = Read(name);
            var missing = RuleValue.Error($"no such key: {name}");
            return new((IRuleAttributes input, ref CelFrame _) => input.TryGet(attribute, out var value) ? value : missing, Read: attribute, Missing: missing);
        }

        private Expr Presence(string name)
        {
            var attribute = Read(name);
            return new((IRuleAttributes input, ref CelFrame _) => RuleValue.Of(input.TryGet(attribute, out RuleValue _)));
        }

        private RuleAttribute Read(string name)
        {
            var attribute = RuleAttribute.Of(name);
            if (!Reads.Contains(attribute))
            {
                Reads.Add(attribute);
            }

            return attribute;
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

    private delegate RuleValue BinaryOperator(in RuleValue a, in RuleValue b);

    private delegate RuleValue UnaryOperator(in RuleValue a);
}
