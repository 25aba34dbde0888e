namespace Gateway.Rules;

/// <summary>A rule ready to compile: what <see cref="RuleSettings"/> say, or what a <c>Sampling:AlwaysKeep</c> entry means.</summary>
/// <param name="Name">The rule's name, as records and alerts show it.</param>
/// <param name="Condition">The CEL condition.</param>
/// <param name="Actions">What a match does.</param>
/// <param name="Status">The status of a deny.</param>
/// <param name="Routes">Route ids it is limited to; null for every request.</param>
/// <param name="FailClosed">A run-time error counts as a match.</param>
/// <param name="AlertInterval">Shortest time between two alerts of the rule.</param>
public sealed record RuleDefinition(
    string Name,
    string Condition,
    RuleActions Actions,
    int Status = RuleDefinition.DefaultStatus,
    IReadOnlyList<string>? Routes = null,
    bool FailClosed = false,
    TimeSpan? AlertInterval = null)
{
    /// <summary>The status of a deny unless the rule says otherwise.</summary>
    public const int DefaultStatus = 403;

    /// <summary>The action names of the configuration, in the order of <see cref="RuleActions"/>.</summary>
    public static readonly IReadOnlyList<string> ActionNames = ["tag", "alert", "deny"];

    /// <summary>True when <paramref name="other"/> is this rule unchanged: the same name, condition, actions, status, routes, fail-closed and alert interval.</summary>
    public bool SameAs(RuleDefinition other) =>
        this with { Routes = null } == other with { Routes = null } && (Routes ?? []).SequenceEqual(other.Routes ?? [], StringComparer.Ordinal);

    /// <summary>The definition of rule <paramref name="name"/> as configured (validated before).</summary>
    public static RuleDefinition From(string name, RuleSettings settings, TimeSpan defaultAlertInterval) => new(
        name,
        settings.Condition ?? "",
        ParseActions(settings.Actions),
        settings.Status ?? DefaultStatus,
        settings.Routes is { Count: > 0 } routes ? routes : null,
        settings.FailClosed,
        settings.AlertIntervalSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : defaultAlertInterval);

    /// <summary>The flags of the action names; an unknown name throws (the validator refuses it first).</summary>
    public static RuleActions ParseActions(IEnumerable<string>? names)
    {
        var actions = RuleActions.None;
        foreach (var name in names ?? [])
        {
            actions |= name.Trim().ToLowerInvariant() switch
            {
                "tag" => RuleActions.Tag,
                "alert" => RuleActions.Alert,
                "deny" => RuleActions.Deny,
                _ => throw new ArgumentException($"\"{name}\" is not an action; use {string.Join(", ", ActionNames)}"),
            };
        }

        return actions;
    }
}
