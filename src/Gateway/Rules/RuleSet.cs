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

    private readonly CompiledRule[] _request;
    private readonly CompiledRule[] _response;
    private readonly TimeProvider _time;

    private RuleSet(CompiledRule[] rules, TimeProvider time)
    {
        All = rules;
        _request = [.. rules.Where(r => r.Condition.Phase == RulePhase.Request)];
        _response = [.. rules.Where(r => r.Condition.Phase == RulePhase.Response)];
        _time = time;
    }

    /// <summary>No rules: nothing is evaluated and no outcome is made.</summary>
    public static RuleSet Empty { get; } = new([], TimeProvider.System);

    /// <summary>Every rule, in configuration order.</summary>
    public IReadOnlyList<CompiledRule> All { get; }

    /// <summary>True when there are no rules.</summary>
    public bool IsEmpty => All.Count == 0;

    /// <summary>True when some rule can deny (the request path then evaluates before proxying).</summary>
    public bool HasRequestRules => _request.Length > 0;

    /// <summary>True when some rule reads what is known only once the response ended.</summary>
    public bool HasResponseRules => _response.Length > 0;

    /// <summary>Compiles every definition; throws <see cref="RuleCompileException"/> naming the first rule that does not compile.</summary>
    public static RuleSet Compile(IEnumerable<RuleDefinition> definitions, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var rules = new List<CompiledRule>();
        foreach (var definition in definitions)
        {
            try
            {
                rules.Add(CompiledRule.Compile(definition, time));
            }
            catch (RuleCompileException e)
            {
                throw new RuleCompileException($"rule \"{definition.Name}\": {e.Message}");
            }
        }

        return rules.Count == 0 ? Empty : new RuleSet([.. rules], time);
    }

    /// <summary>
    /// Evaluates the rules of <paramref name="phase"/> that apply to <paramref name="routeId"/>
    /// over <paramref name="input"/> and records what matched in <paramref name="outcome"/>.
    /// A rule whose evaluation fails is counted and lets the request through, unless it is
    /// fail-closed. <paramref name="isRedacted"/> says which attribute values an alert must not show.
    /// </summary>
    public void Evaluate(RulePhase phase, IRuleAttributes input, string? routeId, RuleOutcome outcome, Func<string, bool>? isRedacted = null)
    {
        var rules = phase == RulePhase.Request ? _request : _response;
        foreach (var rule in rules)
        {
            if (rule.Routes is { } routes && (routeId is null || !routes.Contains(routeId)))
            {
                continue;
            }

            var result = rule.Condition.Evaluate(input);
            string? error = null;
            bool matched;
            if (result.Kind == RuleValueKind.Bool)
            {
                matched = result.Bool;
            }
            else
            {
                error = result.IsError ? result.ErrorMessage : $"the condition gave {CelOperators.Describe(result)}, not bool";
                rule.CountError();
                outcome.CountError();
                RuleMetrics.Error(rule.Name);
                matched = rule.Definition.FailClosed;
            }

            if (!matched)
            {
                continue;
            }

            outcome.Match(rule);
            RuleMetrics.Match(rule.Name);
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
    }

    /// <summary>Alerts for matches that were held back and whose interval is over, one per rule.</summary>
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

        return alerts ?? (IReadOnlyList<RuleAlert>)[];
    }

    private static KeyValuePair<string, object?>[] Values(CompiledRule rule, IRuleAttributes input, Func<string, bool>? isRedacted)
    {
        var values = new List<KeyValuePair<string, object?>>(rule.Condition.Reads.Count);
        foreach (var name in rule.Condition.Reads)
        {
            if (!input.TryGet(name, out var value))
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
