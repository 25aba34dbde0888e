namespace Gateway.Rules;

/// <summary>
/// What the rules decided for one request, filled in as each phase is evaluated. Made only
/// when rules are configured (a gateway without rules never allocates one), and then reused
/// from request to request with the pooled request record (<see cref="Reset"/>).
/// </summary>
public sealed class RuleOutcome
{
    private List<string>? _tags;
    private List<RuleAlert>? _alerts;
    private RuleValue[]? _values;

    /// <summary>Names of the matched rules with the <c>tag</c> action, for <c>gateway.rule.matched</c>.</summary>
    public IReadOnlyList<string> Tags => _tags ?? (IReadOnlyList<string>)[];

    /// <summary>Alerts raised by this request and not yet emitted.</summary>
    public IReadOnlyList<RuleAlert> Alerts => _alerts ?? (IReadOnlyList<RuleAlert>)[];

    /// <summary>True once any rule matched: the request's record is kept whatever the sampling ratio.</summary>
    public bool Matched { get; private set; }

    /// <summary>The deny rule that matched first, or null.</summary>
    public string? DeniedBy { get; private set; }

    /// <summary>The status to answer with when denied.</summary>
    public int DenyStatus { get; private set; }

    /// <summary>Run-time evaluation errors on this request.</summary>
    public int Errors { get; private set; }

    /// <summary>Where a rule program leaves the values of the rules that did not give false (made once, reused with the outcome).</summary>
    internal RuleValue[] Values => _values ??= new RuleValue[RuleProgram.Capacity];

    /// <summary>Forgets the previous request's outcome, keeping the list of tags for reuse.</summary>
    public RuleOutcome Reset()
    {
        _tags?.Clear();
        _alerts = null;
        Matched = false;
        DeniedBy = null;
        DenyStatus = 0;
        Errors = 0;
        return this;
    }

    /// <summary>Takes the alerts raised so far (the caller emits them).</summary>
    public IReadOnlyList<RuleAlert> TakeAlerts()
    {
        var alerts = Alerts;
        _alerts = null;
        return alerts;
    }

    internal void Match(CompiledRule rule)
    {
        Matched = true;
        var actions = rule.Definition.Actions;
        if ((actions & RuleActions.Tag) != 0)
        {
            (_tags ??= []).Add(rule.Name);
        }

        if ((actions & RuleActions.Deny) != 0 && DeniedBy is null)
        {
            DeniedBy = rule.Name;
            DenyStatus = rule.Definition.Status;
        }
    }

    internal void Add(RuleAlert alert) => (_alerts ??= []).Add(alert);

    internal void CountError() => Errors++;
}
