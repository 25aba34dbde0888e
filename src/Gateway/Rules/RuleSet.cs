using System.Numerics;

namespace Gateway.Rules;

/// <summary>
/// The rules of one configuration, compiled once when it loads and split by the phase in
/// which each can be evaluated. One mechanism decides every match: the <c>Rules</c> section
/// and the <c>Sampling:AlwaysKeep</c> entries alike; a match keeps the request's record.
/// </summary>
public sealed class RuleSet
{
    // Alert values longer than this are cut: an alert names what matched, it is no copy of the request.
    private const int MaxAlertValueChars = 256;

    private readonly CompiledRule[] _connection;
    private readonly CompiledRule[] _request;
    private readonly CompiledRule[] _response;
    private readonly RuleProgram[] _requestPrograms;
    private readonly RuleProgram[] _responsePrograms;
    private readonly CompiledRule[] _retired;
    private readonly TimeProvider _time;

    private RuleSet(CompiledRule[] rules, CompiledRule[] retired, TimeProvider time)
    {
        All = rules;
        _connection = [.. rules.Where(r => r.Condition.Phase == RulePhase.Connection)];
        _request = [.. rules.Where(r => r.Condition.Phase == RulePhase.Request)];
        _response = [.. rules.Where(r => r.Condition.Phase == RulePhase.Response)];
        _requestPrograms = RuleProgram.Compile(_request);
        _responsePrograms = RuleProgram.Compile(_response);
        ResponseAttributes = [.. _response.SelectMany(r => r.Condition.Attributes).Distinct()];
        ResponseReads = [.. ResponseAttributes.Select(a => a.Name)];
        ResponseRulesReadTheWire = ResponseAttributes.Any(a => a.IsWire);
        ScopedByRoute = rules.Any(r => r.Routes is not null);
        _retired = retired;
        _time = time;
    }

    /// <summary>No rules: nothing is evaluated and no outcome is made.</summary>
    public static RuleSet Empty { get; } = new([], [], TimeProvider.System);

    /// <summary>Every rule, in configuration order.</summary>
    public IReadOnlyList<CompiledRule> All { get; }

    /// <summary>True when there are no rules.</summary>
    public bool IsEmpty => All.Count == 0;

    /// <summary>True when some rule can be evaluated before proxying (so it can deny): the connection's rules and the request's.</summary>
    public bool HasRequestRules => _connection.Length + _request.Length > 0;

    /// <summary>True when some rule reads only what the connection's handshake showed (evaluated once per connection).</summary>
    public bool HasConnectionRules => _connection.Length > 0;

    /// <summary>True when some rule reads what is known only once the response ended.</summary>
    public bool HasResponseRules => _response.Length > 0;

    /// <summary>The attribute names the rules of the response's end read.</summary>
    public IReadOnlyList<string> ResponseReads { get; }

    /// <summary>The attributes the rules of the response's end read (<see cref="ResponseReads"/> as compiled).</summary>
    public IReadOnlyList<RuleAttribute> ResponseAttributes { get; }

    /// <summary>True when some rule applies to some routes only: the request's route must then be known to evaluate.</summary>
    public bool ScopedByRoute { get; }

    /// <summary>
    /// True when some rule of the response's end reads <c>wire.*</c>: where a response's last bytes are
    /// still leaving when the request ends, the request's <c>wire.request.*</c> figures (and the
    /// <c>wire.conn.*</c> totals read at the same point) are known only once they have left, and these
    /// rules wait for them with the record.
    /// </summary>
    public bool ResponseRulesReadTheWire { get; }

    /// <summary>
    /// Compiles every definition; throws <see cref="RuleCompileException"/> naming the first rule that
    /// does not compile. With <paramref name="previous"/> (the set a reload replaces), a rule whose
    /// definition is unchanged keeps its alert pacing (the interval running and the matches held back),
    /// so a reload neither repeats an alert at once nor loses a count; a changed or new rule starts
    /// afresh, and the matches a changed or removed rule held back are reported at the next flush.
    /// </summary>
    public static RuleSet Compile(IEnumerable<RuleDefinition> definitions, TimeProvider? time = null, RuleSet? previous = null)
    {
        time ??= TimeProvider.System;
        var rules = new List<CompiledRule>();
        var kept = new HashSet<CompiledRule>();
        foreach (var definition in definitions)
        {
            var same = previous?.All.FirstOrDefault(r => r.Definition.SameAs(definition));
            try
            {
                rules.Add(CompiledRule.Compile(definition, time, same?.Limiter));
            }
            catch (RuleCompileException e)
            {
                throw new RuleCompileException($"rule \"{definition.Name}\": {e.Message}");
            }

            if (same is not null)
            {
                kept.Add(same);
            }
        }

        // What the previous set held back and no rule of this one carries on: reported at the next flush.
        CompiledRule[] retired = previous is null ? [] :
            [.. previous.All.Where(r => !kept.Contains(r) && r.Limiter.HasPending).Concat(previous._retired.Where(r => r.Limiter.HasPending))];
        return rules.Count == 0 && retired.Length == 0 ? Empty : new RuleSet([.. rules], retired, time);
    }

    /// <summary>
    /// Evaluates the rules of <paramref name="phase"/> that apply to <paramref name="routeId"/>
    /// over <paramref name="input"/> and records what matched in <paramref name="outcome"/>.
    /// <see cref="RulePhase.Request"/> covers the connection's rules too: their results come from
    /// <paramref name="connection"/> when it holds them (evaluated at an earlier request on the same
    /// connection), else they are evaluated now and kept there. A rule whose evaluation fails is
    /// counted and lets the request through, unless it is fail-closed. <paramref name="isRedacted"/>
    /// says which attribute values an alert must not show.
    /// </summary>
    public void Evaluate(RulePhase phase, IRuleAttributes input, string? routeId, RuleOutcome outcome, Func<string, bool>? isRedacted = null, ConnectionRuleCache? connection = null)
    {
        if (phase == RulePhase.Response)
        {
            EvaluateEach(_response, _responsePrograms, RulePhase.Response, input, routeId, outcome, isRedacted);
            return;
        }

        if (_connection.Length > 0)
        {
            EvaluateConnection(input, routeId, outcome, isRedacted, connection);
        }

        if (phase == RulePhase.Request)
        {
            EvaluateEach(_request, _requestPrograms, RulePhase.Request, input, routeId, outcome, isRedacted);
        }
    }

    /// <summary>Alerts for matches that were held back and whose interval is over, one per rule; and those of rules a reload changed or removed.</summary>
    public IReadOnlyList<RuleAlert> FlushHeldBack()
    {
        List<RuleAlert>? alerts = null;
        foreach (var rule in All)
        {
            if ((rule.Definition.Actions & RuleActions.Alert) != 0 && rule.Limiter.TryFlush(out var count))
            {
                (alerts ??= []).Add(new RuleAlert { Rule = rule.Name, Count = count, Time = _time.GetUtcNow() });
            }
        }

        foreach (var rule in _retired)
        {
            if ((rule.Definition.Actions & RuleActions.Alert) != 0 && rule.Limiter.TryFlush(out var count, now: true))
            {
                (alerts ??= []).Add(new RuleAlert { Rule = rule.Name, Count = count, Time = _time.GetUtcNow() });
            }
        }

        return alerts ?? (IReadOnlyList<RuleAlert>)[];
    }

    // The phase's rules in scope, by their programs: a rule that did not give false is decided, in the rules' order.
    private void EvaluateEach(CompiledRule[] rules, RuleProgram[] programs, RulePhase phase, IRuleAttributes input, string? routeId, RuleOutcome outcome,
        Func<string, bool>? isRedacted)
    {
        var evaluated = 0;
        for (var p = 0; p < programs.Length; p++)
        {
            var first = p * RuleProgram.Capacity;
            var count = Math.Min(RuleProgram.Capacity, rules.Length - first);
            var skip = ScopedByRoute ? OutOfScope(rules, first, count, routeId) : 0UL;
            evaluated += count - BitOperations.PopCount(skip);
            var values = outcome.Values;
            var hits = programs[p].Run(input, skip, values);
            while (hits != 0)
            {
                var index = RuleProgram.Next(ref hits);
                Decide(rules[first + index], values[index], evaluatedNow: true, input, outcome, isRedacted);
                // The value may hold the request's strings: not kept past it.
                values[index] = default;
            }
        }

        RuleMetrics.Evaluated(phase, evaluated);
    }

    private static ulong OutOfScope(CompiledRule[] rules, int first, int count, string? routeId)
    {
        var skip = 0UL;
        for (var i = 0; i < count; i++)
        {
            if (!InScope(rules[first + i], routeId))
            {
                skip |= 1UL << i;
            }
        }

        return skip;
    }

    // The connection's rules: evaluated at its first request (every one of them, whatever this request's
    // route: the results serve the requests that follow), then read from the cache.
    private void EvaluateConnection(IRuleAttributes input, string? routeId, RuleOutcome outcome, Func<string, bool>? isRedacted, ConnectionRuleCache? connection)
    {
        var cached = connection?.ResultsOf(this);
        var fresh = cached is null && connection is not null ? new RuleValue[_connection.Length] : null;
        var evaluated = 0;
        for (var i = 0; i < _connection.Length; i++)
        {
            var rule = _connection[i];
            var inScope = InScope(rule, routeId);
            RuleValue result;
            if (cached is not null)
            {
                result = cached[i];
            }
            else if (fresh is null && !inScope)
            {
                continue;
            }
            else
            {
                evaluated++;
                result = rule.Condition.Evaluate(input);
                if (fresh is not null)
                {
                    fresh[i] = result;
                }
            }

            if (inScope)
            {
                Decide(rule, result, evaluatedNow: cached is null, input, outcome, isRedacted);
            }
            else if (cached is null && result.Kind != RuleValueKind.Bool)
            {
                // Evaluated for later requests only: its failure is still one to count.
                rule.CountError();
            }
        }

        if (fresh is not null)
        {
            connection!.Store(this, fresh);
        }

        RuleMetrics.Evaluated(RulePhase.Connection, evaluated);
    }

    private static bool InScope(CompiledRule rule, string? routeId) =>
        rule.Routes is not { } routes || (routeId is not null && routes.Contains(routeId));

    // What one result means for this request: a match (tag, deny, alert) or not; a failure is counted
    // where it was evaluated, and matches only when the rule is fail-closed.
    private void Decide(CompiledRule rule, in RuleValue result, bool evaluatedNow, IRuleAttributes input, RuleOutcome outcome, Func<string, bool>? isRedacted)
    {
        string? error = null;
        bool matched;
        if (result.Kind == RuleValueKind.Bool)
        {
            matched = result.Bool;
        }
        else
        {
            error = result.IsError ? result.ErrorMessage : $"the condition gave {CelOperators.Describe(result)}, not bool";
            if (evaluatedNow)
            {
                rule.CountError();
            }

            outcome.CountError();
            matched = rule.Definition.FailClosed;
        }

        if (!matched)
        {
            return;
        }

        outcome.Match(rule);
        RuleMetrics.Count(rule.MatchedTotal);
        if ((rule.Definition.Actions & RuleActions.Alert) != 0 && rule.Limiter.TryAcquire(out var count))
        {
            outcome.Add(new RuleAlert
            {
                Rule = rule.Name,
                Count = count,
                Values = Values(rule, input, isRedacted),
                DeniedStatus = (rule.Definition.Actions & RuleActions.Deny) != 0 ? rule.Definition.Status : null,
                Error = error,
                Time = _time.GetUtcNow(),
            });
        }
    }

    private static KeyValuePair<string, object?>[] Values(CompiledRule rule, IRuleAttributes input, Func<string, bool>? isRedacted)
    {
        var values = new List<KeyValuePair<string, object?>>(rule.Condition.Attributes.Count);
        foreach (var attribute in rule.Condition.Attributes)
        {
            var name = attribute.Name;
            if (!input.TryGet(attribute, out var value))
            {
                continue;
            }

            object? plain = isRedacted?.Invoke(name) == true ? RedactedValue : value.ToPlain() switch
            {
                string s => Cut(s),
                string[] list => Array.ConvertAll(list, Cut),
                var other => other,
            };
            values.Add(new(name, plain));
        }

        return [.. values];
    }

    /// <summary>What an alert shows for a redacted value, as the records do.</summary>
    public const string RedactedValue = "[REDACTED]";

    private static string Cut(string s) => s.Length <= MaxAlertValueChars ? s : string.Concat(s.AsSpan(0, MaxAlertValueChars), "…[truncated]");
}
