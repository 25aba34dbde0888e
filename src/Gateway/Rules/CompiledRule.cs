using System.Runtime.CompilerServices;

namespace Gateway.Rules;

/// <summary>One rule compiled: its condition, actions, scope and alert pacing.</summary>
public sealed class CompiledRule
{
    private long _errors;

    private CompiledRule(RuleDefinition definition, CompiledCondition condition, AlertLimiter limiter)
    {
        Definition = definition;
        Condition = condition;
        Routes = definition.Routes is { } routes ? new HashSet<string>(routes, StringComparer.Ordinal) : null;
        Limiter = limiter;
        MatchedTotal = RuleMetrics.MatchedTotal(definition.Name);
        ErrorsTotal = RuleMetrics.ErrorsTotal(definition.Name);
    }

    /// <summary>What it was compiled from.</summary>
    public RuleDefinition Definition { get; }

    /// <summary>The rule's name.</summary>
    public string Name => Definition.Name;

    /// <summary>The compiled condition.</summary>
    public CompiledCondition Condition { get; }

    /// <summary>Route ids it applies to; null for every request.</summary>
    public IReadOnlySet<string>? Routes { get; }

    /// <summary>Evaluations that failed at run time so far.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    internal AlertLimiter Limiter { get; }

    // The rule's totals of gateway.rules.matched and gateway.rules.errors, shared by every compilation of its name.
    internal StrongBox<long> MatchedTotal { get; }

    internal StrongBox<long> ErrorsTotal { get; }

    /// <summary>
    /// Compiles <paramref name="definition"/>; throws <see cref="RuleCompileException"/> when the
    /// condition does not compile or a deny rule reads what is only known after proxying.
    /// </summary>
    public static CompiledRule Compile(RuleDefinition definition, TimeProvider? time = null) => Compile(definition, time, limiter: null);

    /// <summary>As <see cref="Compile(RuleDefinition, TimeProvider?)"/>, pacing its alerts with <paramref name="limiter"/> when given (the same rule's, kept across a reload).</summary>
    internal static CompiledRule Compile(RuleDefinition definition, TimeProvider? time, AlertLimiter? limiter)
    {
        var condition = CelCompiler.Compile(definition.Condition);
        if ((definition.Actions & RuleActions.Deny) != 0 && condition.Phase == RulePhase.Response)
        {
            var late = condition.Attributes.Where(a => a.Phase == RulePhase.Response).Select(a => a.Name);
            throw new RuleCompileException(
                $"a deny rule cannot read {string.Join(", ", late)}: that is only known after the request was proxied, too late to deny it; use tag or alert, or test what is known when the request arrives");
        }

        return new CompiledRule(definition, condition, limiter ?? new AlertLimiter(definition.AlertInterval ?? TimeSpan.FromSeconds(60), time ?? TimeProvider.System));
    }

    // Its own count (Errors) and its name's gateway.rules.errors.
    internal void CountError()
    {
        Interlocked.Increment(ref _errors);
        RuleMetrics.Count(ErrorsTotal);
    }
}
